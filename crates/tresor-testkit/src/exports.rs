//! Exported files read by independent parsers: CSV by Python's csv module in strict mode (RFC 4180 quoting, line
//! breaks kept inside fields) and XML by Python's ElementTree, so that a test checks what other programs make of
//! a file, not what Tresor's own writer believes it wrote.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// What `python3 -c script` prints with `input` on its standard input.
///
/// # Panics
/// When python3 cannot run or fails (it refused the file).
pub fn python(script: &str, input: &[u8]) -> String {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 (the parsers of exported files): {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).unwrap_or_else(|e| panic!("python3's input: {e}"));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("python3: {e}"));
    assert!(out.status.success(), "python3 refused the file: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("python3 printed no UTF-8: {e}"))
}

/// The rows of a CSV file.
///
/// # Panics
/// When the file is not strict CSV.
pub fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let script = "import csv, io, json, sys\n\
                  text = io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', newline='')\n\
                  print(json.dumps(list(csv.reader(text, strict=True))))";
    serde_json::from_str(&python(script, bytes)).unwrap_or_else(|e| panic!("{e}"))
}

/// An XML file as `{"tag", "attrib", "records": [{"seq", <child tag>: <text>, …}, …]}`: the root element, and
/// each child with its `seq` attribute and its own children's text.
///
/// # Panics
/// When the file is not well-formed XML.
pub fn xml_records(bytes: &[u8]) -> Value {
    let script = "import json, sys, xml.etree.ElementTree as ET\n\
                  root = ET.fromstring(sys.stdin.buffer.read())\n\
                  recs = [dict([('seq', r.get('seq'))] + [(f.tag, f.text or '') for f in r]) for r in root]\n\
                  print(json.dumps({'tag': root.tag, 'attrib': root.attrib, 'records': recs}))";
    serde_json::from_str(&python(script, bytes)).unwrap_or_else(|e| panic!("{e}"))
}
