//! Talking to the person at the terminal: passwords without echo, yes/no questions, and the `--password-stdin`
//! alternative for scripts.

use std::io::{BufRead, Write};

use anyhow::{Context, Result, bail};
use tresor_api::WirePassword;

/// Reads one line of standard input as a password (the line break is not part of it).
pub fn password_from_stdin(what: &str) -> Result<WirePassword> {
    read_password_line(&mut std::io::stdin().lock(), what)
}

/// One line from `reader`, stripped of its line break; reading into a buffer sized for any sane password keeps
/// the plaintext from being copied around by reallocation before it is wrapped.
fn read_password_line(reader: &mut impl BufRead, what: &str) -> Result<WirePassword> {
    let mut line = String::with_capacity(1024);
    let read = reader.read_line(&mut line).with_context(|| format!("cannot read {what} from standard input"))?;
    if read == 0 {
        bail!("expected {what} on standard input, found the end of input");
    }
    let trimmed = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(trimmed);
    let password = WirePassword::new(line);
    if password.expose_secret().is_empty() {
        bail!("{what} on standard input is empty");
    }
    Ok(password)
}

/// Asks for a password on the terminal without echo.
pub fn prompt_password(prompt: &str) -> Result<WirePassword> {
    let password = rpassword::prompt_password(prompt)
        .context("cannot ask for a password without a terminal; pass --password-stdin")?;
    let password = WirePassword::new(password);
    if password.expose_secret().is_empty() {
        bail!("the password is empty");
    }
    Ok(password)
}

/// A secret for `what`: the next line of standard input when `from_stdin`, else asked for on the terminal
/// without echo.
pub fn secret_value(what: &str, from_stdin: bool) -> Result<WirePassword> {
    if from_stdin { password_from_stdin(what) } else { prompt_password(&format!("{what}: ")) }
}

/// Asks for one visible line on the terminal (a one-time code).
pub fn prompt_line(prompt: &str) -> Result<String> {
    eprint!("{prompt}");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).context("cannot read from the terminal")? == 0 {
        bail!("no input");
    }
    Ok(line.trim().to_owned())
}

/// Whether standard input is a terminal (else it is a pipe or a file a script feeds).
pub fn stdin_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal()
}

/// Asks for a new password twice on the terminal.
pub fn prompt_new_password(prompt: &str) -> Result<WirePassword> {
    let first = prompt_password(prompt)?;
    let second = prompt_password("Repeat the new password: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(second)
}

/// The current password then the new one (twice on a terminal), or two lines of standard input.
pub fn current_and_new_password(from_stdin: bool) -> Result<(WirePassword, WirePassword)> {
    if from_stdin {
        let mut stdin = std::io::stdin().lock();
        let current = read_password_line(&mut stdin, "the current password")?;
        let new = read_password_line(&mut stdin, "the new password")?;
        Ok((current, new))
    } else {
        let current = prompt_password("Current password: ")?;
        let new = prompt_new_password("New password: ")?;
        Ok((current, new))
    }
}

/// Asks a yes/no question on the terminal; `None` when there is no terminal to ask on. Only "y" or "yes" say
/// yes.
pub fn confirm(question: &str) -> Result<Option<bool>> {
    let Some(answer) = ask_line(question)? else { return Ok(None) };
    Ok(Some(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")))
}

/// Makes sure the person means to delete `what`: `--yes`, or a "y" on the terminal. Without a terminal and
/// without `--yes` nothing is deleted.
pub fn confirm_deletion(what: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    match confirm(&format!("Delete {what}? [y/N] "))? {
        Some(true) => Ok(()),
        Some(false) => bail!("{what} was not deleted"),
        None => bail!("not deleting {what} without confirmation and there is no terminal to ask on; pass --yes"),
    }
}

/// Makes sure the person means to delete `what` called `name` by having them type the name, unless `yes`.
pub fn confirm_by_typing(what: &str, name: &str, yes: bool) -> Result<()> {
    if yes {
        return Ok(());
    }
    match ask_line(&format!("Deleting {what} {name} cannot be undone. Type its name to confirm: "))? {
        Some(answer) if answer.trim_end_matches(['\n', '\r']) == name => Ok(()),
        Some(_) => bail!("the name did not match; {what} {name} was not deleted"),
        None => bail!("not deleting {what} {name} without confirmation and there is no terminal to ask on; pass --yes"),
    }
}

/// Asks on the controlling terminal, as ssh does, so that the question works even when standard input is a pipe
/// carrying a password.
#[cfg(unix)]
fn ask_line(question: &str) -> Result<Option<String>> {
    let tty = match std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty") {
        Ok(tty) => tty,
        Err(_) => return Ok(None),
    };
    let mut writer = &tty;
    writer.write_all(question.as_bytes()).and_then(|()| writer.flush()).context("cannot write to the terminal")?;
    let mut answer = String::new();
    std::io::BufReader::new(&tty).read_line(&mut answer).context("cannot read from the terminal")?;
    Ok(Some(answer))
}

#[cfg(not(unix))]
fn ask_line(question: &str) -> Result<Option<String>> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Ok(None);
    }
    let mut stderr = std::io::stderr();
    stderr.write_all(question.as_bytes()).and_then(|()| stderr.flush()).context("cannot write to the terminal")?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).context("cannot read from the terminal")?;
    Ok(Some(answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_passwords_are_read_line_by_line() {
        let mut input = std::io::Cursor::new(b"first secret\r\nsecond\n\nlast".to_vec());
        let first = read_password_line(&mut input, "a").expect("first");
        assert_eq!(first.expose_secret(), "first secret");
        let second = read_password_line(&mut input, "b").expect("second");
        assert_eq!(second.expose_secret(), "second");
        let empty = read_password_line(&mut input, "the new password").expect_err("empty line");
        assert!(empty.to_string().contains("empty"), "{empty}");
        let last = read_password_line(&mut input, "c").expect("no final newline");
        assert_eq!(last.expose_secret(), "last");
        let eof = read_password_line(&mut input, "the password").expect_err("eof");
        assert!(eof.to_string().contains("end of input"), "{eof}");
    }
}
