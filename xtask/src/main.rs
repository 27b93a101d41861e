//! `cargo xtask`, the default build: the tasks that talk to GitHub are handed to
//! `xtask-github`.

fn main() -> std::process::ExitCode {
    xtask::main()
}
