//! The chipbench command line: parse, dispatch, and end every failure with one line.

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Fatal};

fn main() -> ExitCode {
    // Output piped into `head` and the like ends quietly, as in other command-line tools.
    #[cfg(unix)]
    // SAFETY: restoring the default SIGPIPE action at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Mesa's device-select layer prints "XDG_RUNTIME_DIR is invalid" on headless machines,
    // which reads like chipbench's own error; chipbench picks devices itself. A user's own
    // setting wins.
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: at start-up, before any thread exists or the Vulkan loader reads it.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout as clap prints them.
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            let text = e.render().to_string();
            eprintln!("{}", cli::one_line(&text));
            return ExitCode::from(2);
        }
    };
    match cli::dispatch(cli) {
        Ok(code) => code,
        Err(Fatal(e)) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(2)
        }
    }
}
