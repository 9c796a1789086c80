//! Running an external tool with a time limit, capturing its output.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one external command did.
#[derive(Debug, Clone)]
pub(crate) struct ToolRun {
    /// The command line, for the report (arguments joined by spaces).
    pub command: String,
    /// Exit code; `None` when killed by a signal (including our timeout).
    pub code: Option<i32>,
    /// Captured standard output (raw bytes).
    pub stdout: Vec<u8>,
    /// Captured standard error (raw bytes).
    pub stderr: Vec<u8>,
    /// Wall time.
    pub elapsed: Duration,
}

impl ToolRun {
    /// Standard output, lossily decoded.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error, lossily decoded.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// The command line with its exit status and both output streams, as
    /// the report shows it.
    pub fn transcript(&self) -> String {
        let mut s = format!(
            "$ {}\n[exit {} after {} ms]\n",
            self.command,
            self.code
                .map_or_else(|| "signal".to_string(), |c| c.to_string()),
            self.elapsed.as_millis()
        );
        if !self.stdout.is_empty() {
            s.push_str("--- stdout\n");
            s.push_str(&self.stdout_text());
            if !s.ends_with('\n') {
                s.push('\n');
            }
        }
        if !self.stderr.is_empty() {
            s.push_str("--- stderr\n");
            s.push_str(&self.stderr_text());
            if !s.ends_with('\n') {
                s.push('\n');
            }
        }
        s
    }
}

/// Run `program args...` with `env` added to the environment, stdin from
/// /dev/null and both output streams captured in files under `work` (so a
/// chatty tool can never block on a full pipe). The child is killed after
/// `timeout`. A tool that cannot be started (not installed) is an error
/// that names `scripts/setup-test-deps.sh`: the harness fails, never skips.
pub(crate) fn run_tool(
    work: &Path,
    tag: &str,
    program: &str,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &str)],
    timeout: Duration,
) -> Result<ToolRun, String> {
    let command = std::iter::once(program.to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let out_path = work.join(format!("{tag}.stdout"));
    let err_path = work.join(format!("{tag}.stderr"));
    let out =
        std::fs::File::create(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
    let err =
        std::fs::File::create(&err_path).map_err(|e| format!("{}: {e}", err_path.display()))?;
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null()).stdout(out).stderr(err);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        format!("cannot run {program}: {e}; run scripts/setup-test-deps.sh to install the ISO validators")
    })?;
    let mut poll = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if start.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                let partial = ToolRun {
                    command: command.clone(),
                    code: None,
                    stdout: std::fs::read(&out_path).unwrap_or_default(),
                    stderr: std::fs::read(&err_path).unwrap_or_default(),
                    elapsed: start.elapsed(),
                };
                return Err(format!(
                    "{program} timed out after {} s and was killed\n{}",
                    timeout.as_secs(),
                    super::tail(&partial.transcript(), 40)
                ));
            }
            Ok(None) => {
                std::thread::sleep(poll);
                poll = (poll * 2).min(Duration::from_millis(20));
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("waiting for {program}: {e}"));
            }
        }
    };
    let elapsed = start.elapsed();
    let stdout = std::fs::read(&out_path).map_err(|e| format!("{}: {e}", out_path.display()))?;
    let stderr = std::fs::read(&err_path).map_err(|e| format!("{}: {e}", err_path.display()))?;
    Ok(ToolRun {
        command,
        code: status.code(),
        stdout,
        stderr,
        elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn captures_output_and_status() {
        let d = tempfile::tempdir().unwrap();
        let r = run_tool(
            d.path(),
            "sh",
            "sh",
            &[
                OsStr::new("-c"),
                OsStr::new("echo out; echo err >&2; exit 3"),
            ],
            &[("LC_ALL", "C")],
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(r.code, Some(3));
        assert_eq!(r.stdout, b"out\n");
        assert_eq!(r.stderr, b"err\n");
        assert!(
            r.transcript().contains("[exit 3 after"),
            "{}",
            r.transcript()
        );
    }

    #[test]
    fn missing_tool_is_an_error_naming_the_setup_script() {
        let d = tempfile::tempdir().unwrap();
        let e = run_tool(
            d.path(),
            "x",
            "no-such-tool-mvi",
            &[],
            &[],
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(
            e.contains("no-such-tool-mvi") && e.contains("setup-test-deps.sh"),
            "{e}"
        );
    }

    #[test]
    fn slow_tool_is_killed_at_the_time_limit() {
        let d = tempfile::tempdir().unwrap();
        let start = Instant::now();
        let e = run_tool(
            d.path(),
            "sleep",
            "sleep",
            &[OsStr::new("30")],
            &[],
            Duration::from_millis(200),
        )
        .unwrap_err();
        assert!(e.contains("timed out"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }
}
