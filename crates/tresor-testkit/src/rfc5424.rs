//! A strict parser of RFC 5424 syslog messages, written from the RFC's ABNF (section 6) and independent of the
//! formatter in `tresor-core`, so that tests check what Tresor writes and sends against the standard rather than
//! against itself.
//!
//! Strict means: anything the ABNF or the RFC's prose forbids a sender to produce is an error, with the byte
//! offset where it was found — a PRI over 191, a VERSION other than 1, an impossible date, more than six digits of
//! second fraction, a header field too long or with a character outside PRINTUSASCII, an SD-ID that is neither
//! registered with IANA nor `name@<enterprise number>`, an SD-ID twice in one message, an unescaped `]` or a
//! backslash escaping nothing in a PARAM-VALUE.

use std::collections::BTreeMap;
use std::fmt;

/// The SD-IDs IANA has registered (RFC 5424 section 7); any other must have the form `name@<number>`.
const REGISTERED_SD_IDS: [&str; 3] = ["timeQuality", "origin", "meta"];
const BOM: char = '\u{feff}';

/// A message, its parts as the RFC names them; NILVALUE (`-`) is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyslogMessage {
    pub facility: u8,
    pub severity: u8,
    pub version: u8,
    /// The TIMESTAMP exactly as written.
    pub timestamp: Option<String>,
    pub hostname: Option<String>,
    pub app_name: Option<String>,
    pub procid: Option<String>,
    pub msgid: Option<String>,
    pub structured_data: Vec<SdElement>,
    /// The MSG, without its BOM when it had one.
    pub msg: Option<String>,
    /// Whether MSG started with a BOM (MSG-UTF8).
    pub msg_utf8: bool,
}

impl SyslogMessage {
    /// The element with this SD-ID.
    pub fn element(&self, id: &str) -> Option<&SdElement> {
        self.structured_data.iter().find(|e| e.id == id)
    }
}

/// One SD-ELEMENT: its SD-ID and its parameters in order, values unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdElement {
    pub id: String,
    pub params: Vec<(String, String)>,
}

impl SdElement {
    /// The first value of the parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The parameters as a map; the RFC allows a name to repeat, and then the last value is kept.
    pub fn map(&self) -> BTreeMap<String, String> {
        self.params.iter().cloned().collect()
    }
}

/// Where and why a message breaks the RFC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The byte offset in the message.
    pub at: usize,
    pub what: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not RFC 5424 at byte {}: {}", self.at, self.what)
    }
}

impl std::error::Error for ParseError {}

/// Parses one message (`SYSLOG-MSG`): no trailing newline, no transport framing.
///
/// # Errors
/// Where the message departs from the RFC.
pub fn parse(message: &str) -> Result<SyslogMessage, ParseError> {
    let mut p = Parser { s: message, at: 0 };
    let (facility, severity) = p.pri()?;
    let version = p.version()?;
    p.sp()?;
    let timestamp = p.timestamp()?;
    p.sp()?;
    let hostname = p.header_field("HOSTNAME", 255)?;
    p.sp()?;
    let app_name = p.header_field("APP-NAME", 48)?;
    p.sp()?;
    let procid = p.header_field("PROCID", 128)?;
    p.sp()?;
    let msgid = p.header_field("MSGID", 32)?;
    p.sp()?;
    let structured_data = p.structured_data()?;
    let (msg, msg_utf8) = if p.rest().is_empty() {
        (None, false)
    } else {
        p.sp()?;
        let rest = p.rest();
        match rest.strip_prefix(BOM) {
            Some(text) => (Some(text.to_owned()), true),
            None => (Some(rest.to_owned()), false),
        }
    };
    Ok(SyslogMessage {
        facility,
        severity,
        version,
        timestamp,
        hostname,
        app_name,
        procid,
        msgid,
        structured_data,
        msg,
        msg_utf8,
    })
}

/// Parses STRUCTURED-DATA on its own (NILVALUE or one or more SD-ELEMENTs, nothing after), as receivers such as
/// rsyslog hand it over.
///
/// # Errors
/// Where it departs from the RFC.
pub fn parse_structured_data(text: &str) -> Result<Vec<SdElement>, ParseError> {
    let mut p = Parser { s: text, at: 0 };
    let elements = p.structured_data()?;
    if !p.rest().is_empty() {
        return Err(p.error("text after the structured data"));
    }
    Ok(elements)
}

struct Parser<'a> {
    s: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.s[self.at..]
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.at).copied()
    }

    fn error(&self, what: impl Into<String>) -> ParseError {
        ParseError { at: self.at, what: what.into() }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), ParseError> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected {what}")))
        }
    }

    fn sp(&mut self) -> Result<(), ParseError> {
        self.expect(b' ', "a space")
    }

    /// Exactly `n` digits, as a number.
    fn digits(&mut self, n: usize, what: &str) -> Result<u32, ParseError> {
        let field = self.s.get(self.at..self.at + n).filter(|f| f.bytes().all(|b| b.is_ascii_digit()));
        let Some(field) = field else { return Err(self.error(format!("expected {n} digits of {what}"))) };
        self.at += n;
        field.parse().map_err(|_| self.error(format!("{what} is not a number")))
    }

    /// `PRI = "<" PRIVAL ">"`, `PRIVAL = 1*3DIGIT` in 0..=191.
    fn pri(&mut self) -> Result<(u8, u8), ParseError> {
        self.expect(b'<', "'<' opening PRI")?;
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        let digits = &self.s[start..self.at];
        if digits.is_empty() || digits.len() > 3 {
            return Err(ParseError { at: start, what: "PRIVAL must be 1 to 3 digits".into() });
        }
        let value: u16 = digits.parse().map_err(|_| self.error("PRIVAL is not a number"))?;
        if value > 191 {
            return Err(ParseError { at: start, what: format!("PRIVAL {value} is over 191") });
        }
        self.expect(b'>', "'>' closing PRI")?;
        let value = u8::try_from(value).map_err(|_| self.error("PRIVAL out of range"))?;
        Ok((value / 8, value % 8))
    }

    /// `VERSION = NONZERO-DIGIT 0*2DIGIT`; this RFC's version is 1.
    fn version(&mut self) -> Result<u8, ParseError> {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        match &self.s[start..self.at] {
            "1" => Ok(1),
            "" => Err(ParseError { at: start, what: "expected VERSION".into() }),
            other => Err(ParseError { at: start, what: format!("VERSION {other} is not 1") }),
        }
    }

    /// `TIMESTAMP = NILVALUE / FULL-DATE "T" FULL-TIME` (section 6.2.3).
    fn timestamp(&mut self) -> Result<Option<String>, ParseError> {
        if self.nil() {
            return Ok(None);
        }
        let start = self.at;
        let year = self.digits(4, "DATE-FULLYEAR")?;
        self.expect(b'-', "'-' after the year")?;
        let month = self.digits(2, "DATE-MONTH")?;
        self.expect(b'-', "'-' after the month")?;
        let day = self.digits(2, "DATE-MDAY")?;
        if !(1..=12).contains(&month) {
            return Err(ParseError { at: start, what: format!("month {month}") });
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err(ParseError { at: start, what: format!("{year:04}-{month:02} has no day {day}") });
        }
        self.expect(b'T', "'T' between date and time")?;
        let hour = self.digits(2, "TIME-HOUR")?;
        self.expect(b':', "':' after the hour")?;
        let minute = self.digits(2, "TIME-MINUTE")?;
        self.expect(b':', "':' after the minute")?;
        let second = self.digits(2, "TIME-SECOND")?;
        // RFC 5424 section 6.2.3: TIME-SECOND is 00-59; a leap second "MUST NOT be used".
        if hour > 23 || minute > 59 || second > 59 {
            return Err(ParseError { at: start, what: format!("time {hour:02}:{minute:02}:{second:02}") });
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            let fraction = self.rest().bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=6).contains(&fraction) {
                return Err(self.error(format!("TIME-SECFRAC has {fraction} digits, 1 to 6 allowed")));
            }
            self.at += fraction;
        }
        match self.peek() {
            Some(b'Z') => self.at += 1,
            Some(b'+' | b'-') => {
                self.at += 1;
                let h = self.digits(2, "the offset's hour")?;
                self.expect(b':', "':' in the offset")?;
                let m = self.digits(2, "the offset's minute")?;
                if h > 23 || m > 59 {
                    return Err(self.error(format!("offset {h:02}:{m:02}")));
                }
            }
            _ => return Err(self.error("expected 'Z' or a numeric offset")),
        }
        Ok(Some(self.s[start..self.at].to_owned()))
    }

    fn nil(&mut self) -> bool {
        let nil = self.peek() == Some(b'-') && matches!(self.s.as_bytes().get(self.at + 1), None | Some(b' '));
        if nil {
            self.at += 1;
        }
        nil
    }

    /// `NILVALUE / 1*max PRINTUSASCII`.
    fn header_field(&mut self, name: &str, max: usize) -> Result<Option<String>, ParseError> {
        if self.nil() {
            return Ok(None);
        }
        let start = self.at;
        let len = self.rest().bytes().take_while(|b| *b != b' ').count();
        let field = &self.s[start..start + len];
        if field.is_empty() {
            return Err(self.error(format!("{name} is empty")));
        }
        if let Some(i) = field.bytes().position(|b| !(33..=126).contains(&b)) {
            return Err(ParseError { at: start + i, what: format!("{name} holds a character outside PRINTUSASCII") });
        }
        if len > max {
            return Err(ParseError { at: start, what: format!("{name} is {len} characters, at most {max}") });
        }
        self.at += len;
        Ok(Some(field.to_owned()))
    }

    /// `STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT`.
    fn structured_data(&mut self) -> Result<Vec<SdElement>, ParseError> {
        if self.nil() {
            return Ok(Vec::new());
        }
        if self.peek() != Some(b'[') {
            return Err(self.error("expected STRUCTURED-DATA ('-' or '[')"));
        }
        let mut elements: Vec<SdElement> = Vec::new();
        while self.peek() == Some(b'[') {
            let start = self.at;
            let element = self.sd_element()?;
            if elements.iter().any(|e| e.id == element.id) {
                return Err(ParseError { at: start, what: format!("SD-ID {} appears twice", element.id) });
            }
            elements.push(element);
        }
        Ok(elements)
    }

    /// `SD-ELEMENT = "[" SD-ID *(SP SD-PARAM) "]"`, `SD-PARAM = PARAM-NAME "=" %d34 PARAM-VALUE %d34`.
    fn sd_element(&mut self) -> Result<SdElement, ParseError> {
        self.expect(b'[', "'['")?;
        let id_at = self.at;
        let id = self.sd_name("SD-ID")?;
        check_sd_id(&id).map_err(|what| ParseError { at: id_at, what })?;
        let mut params = Vec::new();
        loop {
            match self.peek() {
                Some(b']') => {
                    self.at += 1;
                    return Ok(SdElement { id, params });
                }
                Some(b' ') => {
                    self.at += 1;
                    let name = self.sd_name("PARAM-NAME")?;
                    self.expect(b'=', "'=' after PARAM-NAME")?;
                    self.expect(b'"', "'\"' opening PARAM-VALUE")?;
                    let value = self.param_value()?;
                    params.push((name, value));
                }
                _ => return Err(self.error("expected ' ' or ']' in an SD-ELEMENT")),
            }
        }
    }

    /// `SD-NAME = 1*32PRINTUSASCII` except `=`, SP, `]` and `"`.
    fn sd_name(&mut self, what: &str) -> Result<String, ParseError> {
        let start = self.at;
        let len =
            self.rest().bytes().take_while(|&b| (33..=126).contains(&b) && !matches!(b, b'=' | b']' | b'"')).count();
        if len == 0 {
            return Err(self.error(format!("expected {what}")));
        }
        if len > 32 {
            return Err(self.error(format!("{what} is {len} characters, at most 32")));
        }
        self.at += len;
        Ok(self.s[start..self.at].to_owned())
    }

    /// `PARAM-VALUE = UTF-8-STRING` in which `"`, `\` and `]` MUST be escaped with `\` (section 6.3.3); the
    /// opening quote is read. A backslash before any other character means the sender did not escape a backslash.
    fn param_value(&mut self) -> Result<String, ParseError> {
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        let base = self.at;
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at = base + i + 1;
                    return Ok(value);
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('"' | '\\' | ']'))) => value.push(e),
                    _ => return Err(ParseError { at: base + i, what: "a backslash escapes nothing".into() }),
                },
                ']' => return Err(ParseError { at: base + i, what: "an unescaped ']' in PARAM-VALUE".into() }),
                c => value.push(c),
            }
        }
        Err(self.error("PARAM-VALUE has no closing '\"'"))
    }
}

/// An SD-ID is one IANA registered, or `name@<private enterprise number>` (section 6.3.2, 7.2.2).
fn check_sd_id(id: &str) -> Result<(), String> {
    match id.split_once('@') {
        None if REGISTERED_SD_IDS.contains(&id) => Ok(()),
        None => Err(format!("SD-ID {id} is not registered and has no @<enterprise number>")),
        Some((name, number)) => {
            let number_ok = !number.is_empty()
                && number.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
            if name.is_empty() || !number_ok {
                Err(format!("SD-ID {id} is not name@<enterprise number>"))
            } else {
                Ok(())
            }
        }
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_examples_parse() {
        // RFC 5424 section 6.5, examples 1 to 4.
        let m = parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed for lonvick on /dev/pts/8").expect("example 1");
        assert_eq!((m.facility, m.severity), (4, 2));
        assert_eq!(m.procid, None);
        assert_eq!(m.msgid.as_deref(), Some("ID47"));
        assert!(m.msg_utf8);
        assert_eq!(m.msg.as_deref(), Some("'su root' failed for lonvick on /dev/pts/8"));

        let m = parse(
            "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        )
        .expect("example 2");
        assert_eq!(m.timestamp.as_deref(), Some("2003-08-24T05:14:15.000003-07:00"));
        assert_eq!(m.structured_data, []);

        let m = parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \u{feff}An application event log entry...").expect("example 3");
        let sd = m.element("exampleSDID@32473").expect("element");
        assert_eq!(sd.param("eventSource"), Some("Application"));

        let m = parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]").expect("example 4");
        assert_eq!(m.structured_data.len(), 2);
        assert_eq!(m.msg, None);
    }

    #[test]
    fn escapes_are_undone_in_values() {
        let sd = parse_structured_data(r#"[x@32473 a="q\"b\\s\]e" empty=""]"#).expect("sd");
        assert_eq!(sd[0].map().get("a").map(String::as_str), Some("q\"b\\s]e"));
        assert_eq!(sd[0].param("empty"), Some(""));
    }

    #[test]
    fn what_a_sender_must_not_write_is_refused() {
        let ok = "<109>1 2026-12-01T10:00:00.123Z host tresor 42 306 [tresor@32473 seq=\"1\"] text";
        assert!(parse(ok).is_ok());
        let bad = [
            ("<192>1 2026-12-01T10:00:00Z h a p m -", "over 191"),
            ("<1090>1 2026-12-01T10:00:00Z h a p m -", "1 to 3 digits"),
            ("109>1 2026-12-01T10:00:00Z h a p m -", "'<'"),
            ("<109>2 2026-12-01T10:00:00Z h a p m -", "VERSION 2"),
            ("<109>1 2026-02-29T10:00:00Z h a p m -", "no day 29"),
            ("<109>1 2026-12-01T24:00:00Z h a p m -", "time 24"),
            ("<109>1 2026-12-01T23:59:60Z h a p m -", "time 23:59:60"),
            ("<109>1 2026-12-01T10:00:00.1234567Z h a p m -", "7 digits"),
            ("<109>1 2026-12-01T10:00:00 h a p m -", "'Z'"),
            ("<109>1 2026-12-01t10:00:00Z h a p m -", "'T'"),
            ("<109>1 2026-12-01T10:00:00Z  a p m -", "HOSTNAME is empty"),
            ("<109>1 2026-12-01T10:00:00Z h a p 012345678901234567890123456789012 -", "MSGID is 33"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x a=\"1\"]", "not registered"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x@ab a=\"1\"]", "enterprise number"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x@1 a=\"1\"][x@1 b=\"2\"]", "twice"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x@1 a=\"1]\"]", "unescaped ']'"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x@1 a=\"c:\\d\"]", "escapes nothing"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x@1 a=\"1\"", "' ' or ']'"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x@1 a=\"1", "no closing"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x@1 a=1]", "opening"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x@1  a=\"1\"]", "PARAM-NAME"),
            ("<109>1 2026-12-01T10:00:00Z h a p m [x@1 a=\"1\"]text", "a space"),
            ("<109>1 2026-12-01T10:00:00Z h a p m", "a space"),
        ];
        for (message, why) in bad {
            let e = parse(message).expect_err(message);
            assert!(e.to_string().contains(why), "{message}: {e}");
        }
        assert!(parse("<109>1 2026-12-01T10:00:00Z hé a p m -").is_err());
        assert!(parse("<109>1 2024-02-29T10:00:00+05:30 h a p m -").is_ok());
        assert!(parse("<0>1 - - - - - -").is_ok());
    }
}
