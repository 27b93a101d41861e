//! Writing results. A reader that stops early (`cargo xtask ci | head`) must neither
//! turn a finished task into a panic nor change its exit status, so write errors on
//! stdout and stderr are ignored here.

use std::io::Write;

use github_actions::Actions;

/// Where a task's results go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error, when stdout is reserved for JSON.
    Stderr,
}

impl Stream {
    /// Stderr when `json` holds stdout, else stdout.
    pub fn beside_json(json: bool) -> Self {
        if json { Stream::Stderr } else { Stream::Stdout }
    }

    /// Writes `text`, whole lines that hold values from outside (GitHub's answers, whose
    /// control characters are escaped already): inside GitHub Actions, when a line of it
    /// would be read as a workflow command, the whole text goes between stop-commands
    /// markers ([`github_actions::inert`]), so the runner shows it and runs none of it.
    pub fn write_untrusted(self, text: &str) {
        if Actions::from_env().is_some() {
            self.write(&github_actions::inert(text));
        } else {
            self.write(text);
        }
    }

    /// Writes `text` whole, ignoring a closed stream.
    pub fn write(self, text: &str) {
        let _ = match self {
            Stream::Stdout => write_all(std::io::stdout().lock(), text),
            Stream::Stderr => write_all(std::io::stderr().lock(), text),
        };
    }
}

fn write_all(mut stream: impl Write, text: &str) -> std::io::Result<()> {
    stream.write_all(text.as_bytes())?;
    stream.flush()
}
