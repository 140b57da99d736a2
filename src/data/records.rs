//! Splitting delimited text into records and fields without allocating per row.
//!
//! Two layouts: a delimiter byte with RFC 4180 quoting (`"a,b"`, `""` for a quote inside quotes, line breaks
//! inside quotes), and runs of spaces or tabs (the layout of CDNOW's files). Line endings may be `\n` or
//! `\r\n`. Unquoted fields are trimmed of surrounding spaces.

/// How fields are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Separator {
    /// One byte such as `,`, `;` or `\t`, with double-quote quoting.
    Byte(u8),
    /// One or more spaces or tabs; leading and trailing blanks are ignored; no quoting.
    Whitespace,
}

/// Where one field's text lies: in the input block, or (for a quoted field holding `""`) unescaped in
/// the scratch buffer of [`Fields`].
#[derive(Clone, Copy, Debug)]
enum Span {
    Input(usize, usize),
    Scratch(usize, usize),
}

/// The fields of the current record, reused from row to row.
#[derive(Default, Debug)]
pub struct Fields {
    spans: Vec<Span>,
    scratch: Vec<u8>,
}

impl Fields {
    /// Number of fields in the record.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when the record has no field.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The text of field `index` (0-based) of a record split from `input`.
    pub fn get<'a>(&'a self, input: &'a [u8], index: usize) -> Option<&'a [u8]> {
        match *self.spans.get(index)? {
            Span::Input(start, end) => Some(&input[start..end]),
            Span::Scratch(start, end) => Some(&self.scratch[start..end]),
        }
    }

    /// True when the record is a blank line (nothing but blanks).
    pub fn is_blank(&self, input: &[u8]) -> bool {
        self.spans.is_empty() || (self.spans.len() == 1 && self.get(input, 0).is_some_and(<[u8]>::is_empty))
    }
}

/// One record read from a block: how many line breaks it spanned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordExtent {
    /// Line breaks consumed (1 for an ordinary line; more when a quoted field spans lines; 0 for a last line
    /// without a final line break).
    pub line_breaks: u32,
}

fn trim(input: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && matches!(input[start], b' ' | b'\t') {
        start += 1;
    }
    while end > start && matches!(input[end - 1], b' ' | b'\t' | b'\r') {
        end -= 1;
    }
    (start, end)
}

impl Separator {
    /// Splits the record starting at `*pos` of `input` into `fields` and moves `*pos` past it.
    /// Returns `None` at the end of the input. A quote left open at the end of the input closes there.
    pub fn next_record(self, input: &[u8], pos: &mut usize, fields: &mut Fields) -> Option<RecordExtent> {
        if *pos >= input.len() {
            return None;
        }
        fields.spans.clear();
        fields.scratch.clear();
        let extent = match self {
            Separator::Whitespace => split_whitespace(input, pos, fields),
            Separator::Byte(delimiter) => split_delimited(input, pos, fields, delimiter),
        };
        Some(extent)
    }

    /// The length of the longest prefix of `block` that ends with a complete record (after its line break),
    /// or `None` when the block holds no complete record. `block` must start at a record boundary.
    pub fn complete_prefix(self, block: &[u8]) -> Option<usize> {
        let quoting = matches!(self, Separator::Byte(_)) && block.contains(&b'"');
        if !quoting {
            return block.iter().rposition(|&b| b == b'\n').map(|i| i + 1);
        }
        let mut in_quotes = false;
        let mut last = None;
        for (i, &b) in block.iter().enumerate() {
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if b == b'\n' && !in_quotes {
                last = Some(i + 1);
            }
        }
        last
    }
}

fn split_whitespace(input: &[u8], pos: &mut usize, fields: &mut Fields) -> RecordExtent {
    let mut i = *pos;
    let n = input.len();
    loop {
        while i < n && matches!(input[i], b' ' | b'\t' | b'\r') {
            i += 1;
        }
        if i >= n {
            *pos = n;
            return RecordExtent { line_breaks: 0 };
        }
        if input[i] == b'\n' {
            *pos = i + 1;
            return RecordExtent { line_breaks: 1 };
        }
        let start = i;
        while i < n && !matches!(input[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        fields.spans.push(Span::Input(start, i));
    }
}

fn split_delimited(input: &[u8], pos: &mut usize, fields: &mut Fields, delimiter: u8) -> RecordExtent {
    let n = input.len();
    let mut i = *pos;
    let mut line_breaks = 0;
    loop {
        // Leading blanks of a field, then a quoted or a plain field.
        let mut start = i;
        while start < n && matches!(input[start], b' ' | b'\t') && input[start] != delimiter {
            start += 1;
        }
        if start < n && input[start] == b'"' {
            let (span, after, breaks) = quoted_field(input, start + 1, &mut fields.scratch);
            fields.spans.push(span);
            line_breaks += breaks;
            i = after;
            // Anything between the closing quote and the delimiter is ignored (blanks in practice).
            while i < n && input[i] != delimiter && input[i] != b'\n' {
                i += 1;
            }
        } else {
            i = start;
            while i < n && input[i] != delimiter && input[i] != b'\n' {
                i += 1;
            }
            let (s, e) = trim(input, start, i);
            fields.spans.push(Span::Input(s, e));
        }
        if i >= n {
            *pos = n;
            return RecordExtent { line_breaks };
        }
        if input[i] == b'\n' {
            *pos = i + 1;
            return RecordExtent { line_breaks: line_breaks + 1 };
        }
        i += 1; // the delimiter
    }
}

/// Reads a quoted field whose text starts at `start` (just after the opening quote). Returns its span,
/// the position after the closing quote and the line breaks inside it.
fn quoted_field(input: &[u8], start: usize, scratch: &mut Vec<u8>) -> (Span, usize, u32) {
    let n = input.len();
    let mut i = start;
    let mut breaks = 0;
    let mut escaped = false;
    while i < n {
        match input[i] {
            b'"' if i + 1 < n && input[i + 1] == b'"' => {
                escaped = true;
                i += 2;
            }
            b'"' => break,
            b'\n' => {
                breaks += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    let end = i;
    let after = (i + 1).min(n);
    if !escaped {
        return (Span::Input(start, end), after, breaks);
    }
    let from = scratch.len();
    let mut j = start;
    while j < end {
        scratch.push(input[j]);
        j += if input[j] == b'"' { 2 } else { 1 };
    }
    (Span::Scratch(from, scratch.len()), after, breaks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_all(sep: Separator, input: &str) -> Vec<(Vec<String>, u32)> {
        let bytes = input.as_bytes();
        let mut pos = 0;
        let mut fields = Fields::default();
        let mut out = Vec::new();
        while let Some(extent) = sep.next_record(bytes, &mut pos, &mut fields) {
            let row =
                (0..fields.len()).map(|i| String::from_utf8(fields.get(bytes, i).unwrap().to_vec()).unwrap()).collect();
            out.push((row, extent.line_breaks));
        }
        out
    }

    fn strings(fields: &[&str]) -> Vec<String> {
        fields.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn whitespace_runs_as_in_cdnow() {
        let rows =
            split_all(Separator::Whitespace, " 00004 0001 19970101  2   29.33\r\n\n 00021\t0002 19970101 3 63.34");
        assert_eq!(rows[0], (strings(&["00004", "0001", "19970101", "2", "29.33"]), 1));
        assert_eq!(rows[1], (vec![], 1));
        assert_eq!(rows[2], (strings(&["00021", "0002", "19970101", "3", "63.34"]), 0));
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn delimited_with_quotes_and_crlf() {
        let text = "a,\"b,c\",d\r\n\"say \"\"hi\"\"\", 2 ,\"multi\nline\"\nlast,";
        let rows = split_all(Separator::Byte(b','), text);
        assert_eq!(rows[0], (strings(&["a", "b,c", "d"]), 1));
        assert_eq!(rows[1], (strings(&["say \"hi\"", "2", "multi\nline"]), 2));
        assert_eq!(rows[2], (strings(&["last", ""]), 0));
    }

    #[test]
    fn empty_fields_and_other_delimiters() {
        let rows = split_all(Separator::Byte(b';'), ";x;\n");
        assert_eq!(rows[0], (strings(&["", "x", ""]), 1));
        let rows = split_all(Separator::Byte(b'\t'), "1\t 2\t3\n");
        assert_eq!(rows[0], (strings(&["1", "2", "3"]), 1));
    }

    #[test]
    fn blank_records() {
        let mut fields = Fields::default();
        let mut pos = 0;
        Separator::Byte(b',').next_record(b"  \r\n", &mut pos, &mut fields);
        assert!(fields.is_blank(b"  \r\n"));
    }

    #[test]
    fn complete_prefix_respects_quotes() {
        let sep = Separator::Byte(b',');
        assert_eq!(sep.complete_prefix(b"a,b\nc,d"), Some(4));
        assert_eq!(sep.complete_prefix(b"a,\"b\nc\",d\ne,\"f\n"), Some(10));
        assert_eq!(sep.complete_prefix(b"a,\"b\nc"), None);
        assert_eq!(Separator::Whitespace.complete_prefix(b"a \"b\nc"), Some(5));
    }
}
