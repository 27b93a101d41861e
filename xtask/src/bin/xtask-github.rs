//! `cargo xtask` with the tasks that talk to GitHub built in (feature `github`).

fn main() -> std::process::ExitCode {
    xtask::main()
}
