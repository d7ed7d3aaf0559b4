//! Progress of the guests: a bar when stderr is a terminal, plain lines otherwise (logs and
//! CI keep every event).

use cloneabi_runners::matrix::GuestEvent;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(runs: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(runs as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} runs  {msg}",
                )
                .expect("a valid template"),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        Progress { bar }
    }

    pub fn event(&self, e: &GuestEvent<'_>) {
        match &self.bar {
            None => eprintln!("cloneabi: {}", e.line()),
            Some(bar) => match e {
                GuestEvent::Booting(_) => bar.set_message(e.line()),
                GuestEvent::Done(..) | GuestEvent::Failed(..) => {
                    bar.println(e.line());
                    bar.inc(1);
                }
            },
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
