//! Reading an untrusted NIR file in a child process, so that a crash of the HDF5 C library
//! becomes an error instead of killing the caller.
//!
//! The HDF5 library is not robust to corrupt files: the `nir` fuzz target found a file on which
//! Debian's libhdf5 1.10 dereferences a wild pointer (`H5HG_read` ← `H5T__conv_vlen` ←
//! `H5Dread`, a variable-length string read through a corrupt global heap), below anything Rust
//! can check. So [`read`] forks: the child opens the file, parses it into a [`Graph`]
//! (`crate::h5::read`) and sends it back over a pipe ([`Graph::to_bytes`]), then ends with
//! `_exit`; the parent reads the pipe with a deadline and looks at how the child ended. A child
//! killed by a signal is [`NirError::ReaderCrashed`], one that outlives the deadline is killed
//! and [`NirError::ReaderTimeout`]; neither harms the caller.
//!
//! Why `fork` rather than re-running the executable with a hidden subcommand: the reader is a
//! library function called from the `glia` binary, from the fuzz target and (later) from Python;
//! only the first could re-execute itself. A fork needs no helper program and no re-parsing of
//! arguments, and costs about a millisecond.
//!
//! Fork safety. After `fork` in a process with several threads only async-signal-safe calls are
//! strictly allowed in the child; the child here allocates and calls HDF5. This is made sound in
//! practice as follows: the fork happens while holding hdf5-metno's global (reentrant) HDF5 lock,
//! so no other thread of the caller is inside HDF5 at that moment and the child, the same thread,
//! may take the lock again; glibc's `malloc` is reset for the child by `fork` itself; the child
//! touches nothing else of the caller's (no stdio, no thread pool, no locks of the caller's; it
//! closes every inherited file descriptor but the standard streams and the pipe, so that no file
//! the caller has open stays open, or locked, in the child) and leaves with `_exit`, so no exit handler or buffered output of the caller runs twice. Should a
//! lock still be held by a vanished thread, the child hangs, and the deadline turns that into an
//! error too. The child resets the crash and termination signals to their default action (a
//! host such as libFuzzer or Python may have handlers that would otherwise treat the child's
//! crash as its own) and, on Linux, is killed if the caller dies.

#![allow(unsafe_code)]

use crate::graph::Graph;
use crate::{NirError, Result};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::path::Path;
use std::time::{Duration, Instant};

/// First byte of the child's message: a graph follows.
const TAG_GRAPH: u8 = b'G';
/// First byte of the child's message: an error message (UTF-8) follows.
const TAG_ERROR: u8 = b'E';

fn file_err(path: &Path, message: impl Into<String>) -> NirError {
    NirError::File {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Read `path` in a child process; see the module docs.
pub(crate) fn read(path: &Path, timeout: Duration) -> Result<Graph> {
    let (mut rd, pid) = hdf5_metno::sync::sync(|| -> std::io::Result<_> {
        // close-on-exec, so that a program another thread starts meanwhile does not keep the
        // write end open
        let (rd, wr) = std::io::pipe()?;
        // SAFETY: see "Fork safety" in the module docs; the child never returns.
        match unsafe { libc::fork() } {
            -1 => Err(std::io::Error::last_os_error()),
            0 => child(path, rd, wr),
            pid => {
                drop(wr);
                Ok((rd, pid))
            }
        }
    })
    .map_err(|e| file_err(path, format!("cannot start the NIR reader process: {e}")))?;

    let deadline = Instant::now() + timeout;
    let mut msg = Vec::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut failure = None;
    let timed_out = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break true;
        }
        let mut p = libc::pollfd {
            fd: rd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut p, 1, ms) } < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            failure = Some(e);
            break false;
        }
        if p.revents == 0 {
            continue;
        }
        match rd.read(&mut chunk) {
            Ok(0) => break false,
            Ok(n) => msg.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                failure = Some(e);
                break false;
            }
        }
    };
    drop(rd);
    if timed_out || failure.is_some() {
        // SAFETY: `pid` is our child, not yet waited for.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let status = wait(pid);
    if timed_out {
        return Err(NirError::ReaderTimeout {
            path: path.to_path_buf(),
            seconds: timeout.as_secs_f64(),
        });
    }
    if let Some(e) = failure {
        return Err(file_err(
            path,
            format!("reading from the NIR reader process: {e}"),
        ));
    }
    match status {
        Some(s) if libc::WIFSIGNALED(s) => Err(signalled(path, libc::WTERMSIG(s))),
        Some(s) if libc::WIFEXITED(s) && libc::WEXITSTATUS(s) != 0 => Err(file_err(
            path,
            format!(
                "the NIR reader process exited with status {}",
                libc::WEXITSTATUS(s)
            ),
        )),
        // exited normally, or not waitable (a caller that ignores SIGCHLD): the message decides
        _ => decode(path, &msg),
    }
}

/// The child's exit status (`None` if it cannot be waited for).
fn wait(pid: libc::pid_t) -> Option<libc::c_int> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a valid out-pointer; `pid` is our child.
        if unsafe { libc::waitpid(pid, &mut status, 0) } == pid {
            return Some(status);
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return None;
        }
    }
}

fn signal_name(sig: libc::c_int) -> String {
    match sig {
        libc::SIGSEGV => "SIGSEGV".into(),
        libc::SIGBUS => "SIGBUS".into(),
        libc::SIGABRT => "SIGABRT".into(),
        libc::SIGFPE => "SIGFPE".into(),
        libc::SIGILL => "SIGILL".into(),
        libc::SIGKILL => "SIGKILL".into(),
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        n => format!("signal {n}"),
    }
}

fn signalled(path: &Path, sig: libc::c_int) -> NirError {
    let name = signal_name(sig);
    match sig {
        libc::SIGINT | libc::SIGTERM => file_err(
            path,
            format!("interrupted ({name}) while the NIR reader process read it"),
        ),
        libc::SIGKILL => file_err(
            path,
            "the NIR reader process was killed (SIGKILL) while reading it: out of memory?",
        ),
        _ => NirError::ReaderCrashed {
            path: path.to_path_buf(),
            signal: name,
        },
    }
}

fn decode(path: &Path, msg: &[u8]) -> Result<Graph> {
    let internal = |what: String| {
        file_err(
            path,
            format!("internal error: the NIR reader process sent {what}"),
        )
    };
    match msg.split_first() {
        Some((&TAG_GRAPH, rest)) => {
            Graph::from_bytes(rest).map_err(|e| internal(format!("a malformed graph ({e})")))
        }
        Some((&TAG_ERROR, rest)) => Err(file_err(path, String::from_utf8_lossy(rest))),
        _ => Err(internal(format!(
            "no result ({} bytes; did it end early?)",
            msg.len()
        ))),
    }
}

/// The child: parse, send, `_exit`. Never returns.
fn child(path: &Path, rd: std::io::PipeReader, wr: std::io::PipeWriter) -> ! {
    drop(rd);
    // SAFETY: plain libc calls on this process's own signal dispositions.
    unsafe {
        for sig in [
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGABRT,
            libc::SIGFPE,
            libc::SIGILL,
            libc::SIGINT,
            libc::SIGTERM,
        ] {
            libc::signal(sig, libc::SIG_DFL);
        }
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
    // Keep only the standard streams and the pipe (moved to descriptor 3): a file the caller
    // had open at the fork (an HDF5 file another thread is writing, with its lock) must not stay
    // open, and locked, for as long as this child lives.
    let fd = wr.into_raw_fd();
    // SAFETY: descriptors of this (child) process only; `fd` is the pipe's write end.
    let out = unsafe {
        if fd != 3 {
            libc::dup2(fd, 3);
        }
        close_from(4);
        std::fs::File::from_raw_fd(3)
    };
    let result = std::panic::catch_unwind(|| crate::h5::read(path));
    let msg = match result {
        Ok(Ok(g)) => {
            let mut m = vec![TAG_GRAPH];
            m.extend_from_slice(&g.to_bytes()[..]);
            m
        }
        Ok(Err(NirError::File { message, .. })) => [&[TAG_ERROR], message.as_bytes()].concat(),
        Ok(Err(e)) => [&[TAG_ERROR], e.to_string().as_bytes()].concat(),
        Err(_) => [
            &[TAG_ERROR],
            &b"internal error: the NIR reader panicked"[..],
        ]
        .concat(),
    };
    let code = if (&out).write_all(&msg).is_ok() { 0 } else { 1 };
    // SAFETY: ends this (child) process without running the caller's exit handlers.
    unsafe { libc::_exit(code) }
}

/// Close every file descriptor from `first` on.
///
/// # Safety
/// Only in the child, where nothing else uses them.
unsafe fn close_from(first: libc::c_int) {
    #[cfg(target_os = "linux")]
    // SAFETY: closes descriptors of this process only.
    if unsafe {
        libc::syscall(
            libc::SYS_close_range,
            first as libc::c_uint,
            libc::c_uint::MAX,
            0,
        )
    } == 0
    {
        return;
    }
    // SAFETY: as above.
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) };
    let max = if max > 0 { max.min(1 << 16) } else { 1 << 16 } as libc::c_int;
    for fd in first..max {
        // SAFETY: as above.
        unsafe { libc::close(fd) };
    }
}
