//! Exit statuses: a failed check exits with 1, every other error (bad input, a broken
//! environment) with 2.

use std::fmt;

/// A check that ran and failed: the project or the repository is not in the state the
/// task requires. Errors of any other type mean bad input or environment.
#[derive(Debug)]
pub struct CheckFailed(String);

impl fmt::Display for CheckFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckFailed {}

/// A failed check with this message.
pub fn check_failed(message: impl fmt::Display) -> anyhow::Error {
    CheckFailed(message.to_string()).into()
}

/// A failed check made of several problems: the first line says what was checked, each
/// problem follows on its own line.
pub fn problems(heading: &str, problems: &[impl fmt::Display]) -> anyhow::Error {
    let mut message = heading.to_owned();
    for problem in problems {
        message.push_str(&format!("\n  - {problem}"));
    }
    check_failed(message)
}

/// The exit status for an error: 1 for a [`CheckFailed`] anywhere in its chain, else 2.
pub fn exit_status(error: &anyhow::Error) -> u8 {
    if error.chain().any(|cause| cause.is::<CheckFailed>()) {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use anyhow::Context;

    use super::*;

    #[test]
    fn failed_checks_exit_1_through_context() {
        let error = Err::<(), _>(check_failed("dirty"))
            .context("preflight")
            .unwrap_err();
        assert_eq!(exit_status(&error), 1);
        assert_eq!(exit_status(&anyhow::anyhow!("no deno")), 2);
        let listed = problems("2 problems:", &["a", "b"]);
        assert_eq!(listed.to_string(), "2 problems:\n  - a\n  - b");
    }
}
