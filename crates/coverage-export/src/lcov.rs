//! Reading and writing lcov tracefiles.
//!
//! The reader streams: it holds one line of the input at a time, and per file only the
//! numbers. Records for the same `SF:` are merged by summing hits.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};

use camino::{Utf8Path, Utf8PathBuf};

use crate::coverage::{Branch, FileCoverage, Function, Lines};
use crate::lines::for_each_line_or_run;
use crate::text::{push, push_decimal};

/// A parsed tracefile: each source file once, in the order first seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LcovReport {
    /// `(SF path as written, its coverage)`.
    pub files: Vec<(String, FileCoverage)>,
}

/// A tracefile that cannot be read or is not valid lcov.
#[derive(Debug, thiserror::Error)]
pub enum LcovError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The tracefile.
        path: Utf8PathBuf,
        /// The reason.
        source: io::Error,
    },
    /// A line that is not valid lcov.
    #[error("{path}:{line}: {message}")]
    Syntax {
        /// The tracefile.
        path: Utf8PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A file that holds no records at all.
    #[error(
        "{path} holds no coverage records (no SF: ... end_of_record): was the coverage run empty?"
    )]
    Empty {
        /// The tracefile.
        path: Utf8PathBuf,
    },
}

/// Reads the tracefile at `path`.
pub fn read_lcov(path: &Utf8Path) -> Result<LcovReport, LcovError> {
    let io_error = |source| LcovError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io_error)?;
    parse_lcov(BufReader::with_capacity(1 << 18, file), path)
}

/// Parses a tracefile from `reader`; `path` names it in errors.
pub fn parse_lcov(reader: impl BufRead, path: &Utf8Path) -> Result<LcovReport, LcovError> {
    let mut parser = Parser::default();
    let io_error = |source| LcovError::Io {
        path: path.to_owned(),
        source,
    };
    for_each_line_or_run(
        reader,
        &mut parser,
        io_error,
        Parser::plain_da_run,
        |parser, line| {
            parser
                .line(trim_end(line))
                .map_err(|message| LcovError::Syntax {
                    path: path.to_owned(),
                    line: parser.line_number,
                    message,
                })
        },
    )?;
    let number = parser.line_number;
    if let Some(record) = &parser.record {
        return Err(LcovError::Syntax {
            path: path.to_owned(),
            line: number,
            message: format!(
                "the file ends inside the record for {} begun at line {}: end_of_record is missing (truncated file?)",
                record.source, record.start
            ),
        });
    }
    if parser.report.files.is_empty() {
        return Err(LcovError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(parser.report)
}

fn trim_end(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && matches!(line[end - 1], b'\n' | b'\r' | b' ' | b'\t') {
        end -= 1;
    }
    &line[..end]
}

#[derive(Default)]
struct Parser {
    report: LcovReport,
    index: HashMap<String, usize>,
    record: Option<Record>,
    line_number: usize,
    // Reused between records so that parsing allocates per file, not per line.
    da: Vec<(u32, u64)>,
}

struct Record {
    source: String,
    start: usize,
    branches: Vec<Branch>,
    functions: Vec<Function>,
    function_index: HashMap<Box<str>, usize>,
    // lcov 2 `FNL:<index>,...` / `FNA:<index>,...` pairs.
    indexed_functions: HashMap<u64, usize>,
}

impl Parser {
    /// Takes the plain DA lines (`DA:<line>,<hits>\n`, as deno writes them) at the start
    /// of `text` at once, inside a record: they are most of a report. Returns the bytes
    /// taken. Every other line, and a DA line in any other form, is left to
    /// [`Parser::line`], which reads them the same way and says what is wrong.
    fn plain_da_run(&mut self, text: &[u8]) -> usize {
        if self.record.is_none() {
            return 0;
        }
        let mut at = 0;
        while let Some((entry, length)) = plain_da_line(&text[at..]) {
            self.da.push(entry);
            self.line_number += 1;
            at += length;
        }
        at
    }

    fn line(&mut self, line: &[u8]) -> Result<(), String> {
        self.line_number += 1;
        if line.is_empty() {
            return Ok(());
        }
        if line == b"end_of_record" {
            return self.end_record();
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(format!("not an lcov line: {}", show(line)));
        };
        let (tag, value) = (&line[..colon], &line[colon + 1..]);
        if tag == b"DA"
            && self.record.is_some()
            && let Some(entry) = plain_da(value)
        {
            self.da.push(entry);
            return Ok(());
        }
        if tag == b"SF" {
            return self.start_record(value);
        }
        if matches!(tag, b"TN" | b"VER") {
            return Ok(());
        }
        let Some(record) = self.record.as_mut() else {
            return Err(format!(
                "{} outside a record: a record starts with SF:<path>",
                show(tag)
            ));
        };
        match tag {
            b"DA" => {
                // What `plain_da` did not read: a third field (a checksum, allowed and
                // ignored), or an entry to reject with its message.
                let mut fields = value.splitn(3, |&b| b == b',');
                let (Some(line_field), Some(hits_field)) = (fields.next(), fields.next()) else {
                    return Err(format!("DA needs <line>,<hits>: {}", show(line)));
                };
                let line_no = line_number(line_field, "DA line")?;
                let hits = count(hits_field, "DA hit count")?;
                self.da.push((line_no, hits));
            }
            b"BRDA" => {
                let fields = split_fields(value, 4);
                if fields.len() != 4 {
                    return Err(format!(
                        "BRDA needs <line>,<block>,<branch>,<taken>: {}",
                        show(line)
                    ));
                }
                let line_no = line_number(fields[0], "BRDA line")?;
                let taken = match fields[3] {
                    b"-" => None,
                    taken => Some(count(taken, "BRDA taken count")?),
                };
                let id = format!("{},{}", text(fields[1])?, text(fields[2])?);
                record.branches.push(Branch {
                    line: line_no,
                    id: id.into(),
                    taken,
                });
            }
            b"FN" => {
                let fields = split_fields(value, 3);
                let (start, end, name) = match fields.len() {
                    2 => (fields[0], None, fields[1]),
                    3 if fields[1].iter().all(u8::is_ascii_digit) => {
                        (fields[0], Some(fields[1]), fields[2])
                    }
                    // A name with a comma in it: FN:<line>,<name,with,commas>.
                    3 => (fields[0], None, &value[fields[0].len() + 1..]),
                    _ => return Err(format!("FN needs <line>,<name>: {}", show(line))),
                };
                let start = line_number(start, "FN line")?;
                let end = end.map(|e| line_number(e, "FN end line")).transpose()?;
                if let Some(f) = record.function(text(name)?) {
                    f.line = Some(start);
                    f.end_line = end;
                }
            }
            b"FNDA" => {
                let Some(comma) = value.iter().position(|&b| b == b',') else {
                    return Err(format!("FNDA needs <hits>,<name>: {}", show(line)));
                };
                let hits = count(&value[..comma], "FNDA hit count")?;
                if let Some(f) = record.function(text(&value[comma + 1..])?) {
                    f.hits = f.hits.saturating_add(hits);
                }
            }
            b"FNL" => {
                let fields = split_fields(value, 3);
                if !(2..=3).contains(&fields.len()) {
                    return Err(format!("FNL needs <index>,<line>[,<end>]: {}", show(line)));
                }
                let index = count(fields[0], "FNL index")?;
                let start = line_number(fields[1], "FNL line")?;
                let end = fields
                    .get(2)
                    .map(|e| line_number(e, "FNL end line"))
                    .transpose()?;
                let slot = record.functions.len();
                record.functions.push(Function {
                    name: format!("#{index}").into(),
                    line: Some(start),
                    end_line: end,
                    hits: 0,
                });
                record.indexed_functions.insert(index, slot);
            }
            b"FNA" => {
                let fields = split_fields(value, 3);
                if fields.len() != 3 {
                    return Err(format!("FNA needs <index>,<hits>,<name>: {}", show(line)));
                }
                let index = count(fields[0], "FNA index")?;
                let hits = count(fields[1], "FNA hit count")?;
                let Some(&slot) = record.indexed_functions.get(&index) else {
                    return Err(format!("FNA for index {index} without an FNL before it"));
                };
                let function = &mut record.functions[slot];
                function.name = text(fields[2])?.into();
                function.hits = function.hits.saturating_add(hits);
            }
            b"FNF" | b"FNH" | b"LF" | b"LH" | b"BRF" | b"BRH" => {
                // Summaries: checked, then recomputed from the entries.
                count(value, &format!("{} count", show(tag)))?;
            }
            _ => {
                return Err(format!(
                    "unknown lcov record {} inside the record for {}",
                    show(tag),
                    record.source
                ));
            }
        }
        Ok(())
    }

    fn start_record(&mut self, value: &[u8]) -> Result<(), String> {
        if let Some(record) = &self.record {
            return Err(format!(
                "SF: inside the record for {} begun at line {}: its end_of_record is missing",
                record.source, record.start
            ));
        }
        let source = text(value)?;
        if source.is_empty() {
            return Err("SF: without a path".to_owned());
        }
        self.record = Some(Record {
            source: source.to_owned(),
            start: self.line_number,
            branches: Vec::new(),
            functions: Vec::new(),
            function_index: HashMap::new(),
            indexed_functions: HashMap::new(),
        });
        Ok(())
    }

    fn end_record(&mut self) -> Result<(), String> {
        let Some(record) = self.record.take() else {
            return Err("end_of_record without a record: SF:<path> is missing".to_owned());
        };
        // DA lines usually come sorted; repeated lines are summed, as diff-cover does.
        if !self.da.is_sorted_by_key(|&(line, _)| line) {
            self.da.sort_by_key(|&(line, _)| line);
        }
        self.da.dedup_by(|next, kept| {
            if next.0 == kept.0 {
                kept.1 = kept.1.saturating_add(next.1);
                true
            } else {
                false
            }
        });
        let coverage = FileCoverage {
            lines: Lines::from_sorted_slice(&self.da),
            branches: record.branches,
            functions: record.functions,
        };
        self.da.clear();
        match self.index.get(&record.source) {
            Some(&i) => self.report.files[i].1.merge(coverage),
            None => {
                self.index
                    .insert(record.source.clone(), self.report.files.len());
                self.report.files.push((record.source, coverage));
            }
        }
        Ok(())
    }
}

impl Record {
    fn function(&mut self, name: &str) -> Option<&mut Function> {
        let slot = match self.function_index.get(name) {
            Some(&slot) => slot,
            None => {
                self.functions.push(Function {
                    name: name.into(),
                    line: None,
                    end_line: None,
                    hits: 0,
                });
                self.function_index
                    .insert(name.into(), self.functions.len() - 1);
                self.functions.len() - 1
            }
        };
        self.functions.get_mut(slot)
    }
}

/// `<line>,<hits>` of a DA entry in the plain form nearly all of a report's lines take
/// (digits only, no checksum, in range), read in one pass; `None` for anything else,
/// which the full rules then read or reject with their message.
fn plain_da(value: &[u8]) -> Option<(u32, u64)> {
    let (line, line_end) = plain_number_before(value, b',')?;
    Some((u32::try_from(line).ok()?, plain_number(&value[line_end..])?))
}

/// `DA:<line>,<hits>\n` at the start of `text`, in the numbers' plain form (see
/// [`plain_number`]): the entry, and the line's length with its `\n`.
fn plain_da_line(text: &[u8]) -> Option<((u32, u64), usize)> {
    let rest = text.strip_prefix(b"DA:")?;
    let (line, line_end) = plain_number_before(rest, b',')?;
    let (hits, hits_end) = plain_number_before(&rest[line_end..], b'\n')?;
    Some(((u32::try_from(line).ok()?, hits), 3 + line_end + hits_end))
}

/// The number in the 1 to 19 decimal digits at the start of `text`, and the length of
/// those and of `stop`, which must follow them.
fn plain_number_before(text: &[u8], stop: u8) -> Option<(u64, usize)> {
    let mut n = 0u64;
    for (i, &b) in text.iter().enumerate() {
        match b {
            b'0'..=b'9' if i < 19 => n = n * 10 + u64::from(b - b'0'),
            _ if b == stop && i > 0 => return Some((n, i + 1)),
            _ => return None,
        }
    }
    None
}

/// Up to 19 decimal digits, which always fit in a u64.
fn plain_number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0, |n: u64, &d| {
        d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
    })
}

fn split_fields(value: &[u8], max: usize) -> Vec<&[u8]> {
    value.splitn(max, |&b| b == b',').collect()
}

fn text(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|_| format!("not UTF-8: {}", show(bytes)))
}

fn show(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

fn count(field: &[u8], what: &str) -> Result<u64, String> {
    if field.first() == Some(&b'-') {
        return Err(format!("negative {what}: {}", show(field)));
    }
    if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
        return Err(format!("{what} is not a number: {}", show(field)));
    }
    field.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(d - b'0')))
            .ok_or_else(|| format!("{what} is too large: {}", show(field)))
    })
}

fn line_number(field: &[u8], what: &str) -> Result<u32, String> {
    let n = count(field, what)?;
    u32::try_from(n).map_err(|_| format!("{what} is too large: {n}"))
}

/// Writes `files` as an lcov tracefile, with the summaries (`FNF`, `LH`, ...) computed.
pub fn write_lcov<'a>(
    out: &mut impl Write,
    files: impl IntoIterator<Item = (&'a str, &'a FileCoverage)>,
) -> io::Result<()> {
    let mut entries = Vec::new();
    for (path, file) in files {
        writeln!(out, "SF:{path}")?;
        for f in &file.functions {
            match (f.line, f.end_line) {
                (Some(line), Some(end)) => writeln!(out, "FN:{line},{end},{}", f.name)?,
                (Some(line), None) => writeln!(out, "FN:{line},{}", f.name)?,
                (None, _) => {}
            }
        }
        for f in file.functions.iter().filter(|f| f.line.is_some()) {
            writeln!(out, "FNDA:{},{}", f.hits, f.name)?;
        }
        let functions = file.functions.iter().filter(|f| f.line.is_some());
        writeln!(out, "FNF:{}", functions.clone().count())?;
        writeln!(out, "FNH:{}", functions.filter(|f| f.hits > 0).count())?;
        for b in &file.branches {
            match b.taken {
                Some(taken) => writeln!(out, "BRDA:{},{},{taken}", b.line, b.id)?,
                None => writeln!(out, "BRDA:{},{},-", b.line, b.id)?,
            }
        }
        writeln!(out, "BRF:{}", file.branches.len())?;
        writeln!(out, "BRH:{}", file.branches_hit())?;
        // The DA lines, most of the file, formatted into one buffer and written at once.
        entries.clear();
        for (line, hits) in file.lines.iter() {
            push(&mut entries, b"DA:");
            push_decimal(&mut entries, line.into());
            push(&mut entries, b",");
            push_decimal(&mut entries, hits);
            push(&mut entries, b"\n");
        }
        out.write_all(&entries)?;
        writeln!(out, "LH:{}", file.lines.hit())?;
        writeln!(out, "LF:{}", file.lines.len())?;
        writeln!(out, "end_of_record")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LcovReport, LcovError> {
        parse_lcov(text.as_bytes(), Utf8Path::new("t.lcov"))
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    /// Lines that span two fills of the reader's buffer read as the same lines, and
    /// errors name the same line, whatever the buffer's size; DA entries in any form.
    #[test]
    fn lines_read_the_same_across_buffer_boundaries() {
        let text = "TN:\nSF:/p/a.ts\nDA:1,1\nDA:2,0,bXlzdW0\nDA:3,18446744073709551615\n\
                    DA:4,000012\nLF:4\nLH:3\nend_of_record\nSF:/p/b.ts\nDA:7,2\nend_of_record";
        let whole = parse(text).unwrap();
        assert_eq!(
            whole.files[0].1.lines.iter().collect::<Vec<_>>(),
            [(1, 1), (2, 0), (3, u64::MAX), (4, 12)]
        );
        assert_eq!(whole.files[1].1.lines.iter().collect::<Vec<_>>(), [(7, 2)]);
        let bad = "SF:/p/a.ts\nDA:1,1\nDA:2,x\nend_of_record\n";
        for capacity in [1, 2, 3, 7, 64] {
            let small = |text: &str| {
                parse_lcov(
                    BufReader::with_capacity(capacity, text.as_bytes()),
                    Utf8Path::new("t.lcov"),
                )
            };
            assert_eq!(small(text).unwrap(), whole, "capacity {capacity}");
            assert_eq!(
                small(bad).unwrap_err().to_string(),
                "t.lcov:3: DA hit count is not a number: \"x\""
            );
        }
    }

    /// DA lines read at once (`DA:<line>,<hits>\n`) and one by one (the same lines ended
    /// by `\r\n`, which only the line reader takes) give the same entries and errors.
    #[test]
    fn da_lines_read_at_once_read_as_one_by_one() {
        let max_line = u32::MAX.to_string();
        let past_line = (u64::from(u32::MAX) + 1).to_string();
        let cases = [
            "DA:1,0".to_owned(),
            "DA:0,7".to_owned(),
            "DA:007,010".to_owned(),
            format!("DA:{max_line},1"),
            format!("DA:{past_line},1"),
            "DA:1,9999999999999999999".to_owned(),
            "DA:1,99999999999999999999".to_owned(),
            "DA:1,18446744073709551616".to_owned(),
            "DA:1,2,checksum".to_owned(),
            "DA:1,".to_owned(),
            "DA:,1".to_owned(),
            "DA:1".to_owned(),
            "DA:1,-1".to_owned(),
            "DA:+1,1".to_owned(),
            "DA:1 ,1".to_owned(),
        ];
        for case in &cases {
            let lf = format!("SF:/p/a.ts\nDA:1,1\n{case}\nDA:9,9\nend_of_record\n");
            let crlf = lf.replace('\n', "\r\n");
            let (a, b) = (parse(&lf), parse(&crlf));
            match (&a, &b) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{case}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{case}"),
                _ => panic!("{case}: {a:?} against {b:?}"),
            }
        }
        assert!(parse("SF:/p/a.ts\nDA:1,9999999999999999999\nend_of_record\n").is_ok());
        assert!(parse(&format!("SF:/p/a.ts\nDA:{past_line},1\nend_of_record\n")).is_err());
        // Outside a record a DA line is an error, at once or not.
        assert_eq!(error("DA:1,1\n"), error("DA:1,1\r\n"));
    }

    #[test]
    fn reads_what_deno_writes() {
        let report = parse(
            "SF:/p/main.ts\nFN:30,out\nFN:35,main\nFNDA:0,out\nFNDA:5,main\nFNF:2\nFNH:1\n\
             BRDA:46,3,0,1\nBRDA:46,3,1,-\nBRF:2\nBRH:1\nDA:1,1\nDA:2,0\nDA:30,0\nLH:1\nLF:3\n\
             end_of_record\n",
        )
        .unwrap();
        let (path, file) = &report.files[0];
        assert_eq!(path, "/p/main.ts");
        assert_eq!(
            file.lines.iter().collect::<Vec<_>>(),
            [(1, 1), (2, 0), (30, 0)]
        );
        assert_eq!(file.branches.len(), 2);
        assert_eq!(file.branches[1].taken, None);
        assert_eq!(file.functions[1].hits, 5);
        assert_eq!(file.functions[1].line, Some(35));
    }

    #[test]
    fn records_for_the_same_file_are_merged() {
        let report = parse(
            "TN:a\nSF:/p/a.ts\nDA:1,1\nDA:2,0\nFN:1,f\nFNDA:1,f\nend_of_record\n\
             TN:b\nSF:/p/b.ts\nDA:1,0\nend_of_record\n\
             TN:c\nSF:/p/a.ts\nDA:2,3\nDA:3,0\nFN:1,f\nFNDA:2,f\nend_of_record\n",
        )
        .unwrap();
        assert_eq!(report.files.len(), 2);
        let a = &report.files[0].1;
        assert_eq!(a.lines.iter().collect::<Vec<_>>(), [(1, 1), (2, 3), (3, 0)]);
        assert_eq!(a.functions[0].hits, 3);
    }

    #[test]
    fn crlf_lines_and_unsorted_repeated_da_entries() {
        let report =
            parse("SF:/p/a.ts\r\nDA:3,1\r\nDA:1,0\r\nDA:3,2\r\nend_of_record\r\n").unwrap();
        assert_eq!(
            report.files[0].1.lines.iter().collect::<Vec<_>>(),
            [(1, 0), (3, 3)]
        );
    }

    #[test]
    fn lcov2_function_records() {
        let report =
            parse("SF:/p/a.ts\nFNL:0,4,9\nFNA:0,2,start\nDA:4,2\nend_of_record\n").unwrap();
        let f = &report.files[0].1.functions[0];
        assert_eq!(
            (&*f.name, f.line, f.end_line, f.hits),
            ("start", Some(4), Some(9), 2)
        );
    }

    #[test]
    fn malformed_input_names_the_file_and_line() {
        assert_eq!(
            error("SF:/p/a.ts\nDA:1,1\n"),
            "t.lcov:2: the file ends inside the record for /p/a.ts begun at line 1: end_of_record is missing (truncated file?)"
        );
        assert_eq!(
            error("SF:/p/a.ts\nDA:1,x\nend_of_record\n"),
            "t.lcov:2: DA hit count is not a number: \"x\""
        );
        assert_eq!(
            error("SF:/p/a.ts\nDA:1,-4\nend_of_record\n"),
            "t.lcov:2: negative DA hit count: \"-4\""
        );
        assert_eq!(
            error("SF:/p/a.ts\nXYZ:1\nend_of_record\n"),
            "t.lcov:2: unknown lcov record \"XYZ\" inside the record for /p/a.ts"
        );
        assert_eq!(
            error("SF:/p/a.ts\nDA:1,1\nSF:/p/b.ts\nend_of_record\n"),
            "t.lcov:3: SF: inside the record for /p/a.ts begun at line 1: its end_of_record is missing"
        );
        assert_eq!(
            error("DA:1,1\n"),
            "t.lcov:1: \"DA\" outside a record: a record starts with SF:<path>"
        );
        assert_eq!(
            error("SF:/p/a.ts\nBRDA:1,0,0\nend_of_record\n"),
            "t.lcov:2: BRDA needs <line>,<block>,<branch>,<taken>: \"BRDA:1,0,0\""
        );
        assert_eq!(
            error("SF:/p/a.ts\nDA:99999999999,1\nend_of_record\n"),
            "t.lcov:2: DA line is too large: 99999999999"
        );
        assert_eq!(
            error("SF:/p/a.ts\nLF:many\nend_of_record\n"),
            "t.lcov:2: \"LF\" count is not a number: \"many\""
        );
        assert_eq!(
            error("end_of_record\n"),
            "t.lcov:1: end_of_record without a record: SF:<path> is missing"
        );
        assert!(error("").contains("holds no coverage records"));
        assert!(error("TN:\n\n").contains("holds no coverage records"));
    }

    #[test]
    fn writes_what_it_reads() {
        let text = "SF:src/a.ts\nFN:1,f\nFNDA:2,f\nFNF:1\nFNH:1\nBRDA:2,0,0,1\nBRDA:2,0,1,-\nBRF:2\nBRH:1\n\
                    DA:1,2\nDA:2,0\nLH:1\nLF:2\nend_of_record\n";
        let report = parse(text).unwrap();
        let mut out = Vec::new();
        write_lcov(&mut out, report.files.iter().map(|(p, f)| (p.as_str(), f))).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }
}
