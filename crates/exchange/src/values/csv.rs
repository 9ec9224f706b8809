//! CSV text as spreadsheets save it: decoding (UTF-8 with or without BOM,
//! UTF-16 with BOM, GB18030/GBK as Excel in China saves "CSV (逗号分隔)")
//! and splitting into records (RFC 4180 quoting; comma, semicolon or tab).

use encoding_rs::{Encoding, GB18030};
use qcity_domain::plan::Diagnostic;

fn not_text() -> Diagnostic {
    Diagnostic::error(
        "",
        "the file is neither an XLSX workbook nor CSV text in UTF-8 or GBK; in Excel use \
         Save As → “CSV UTF-8 (Comma delimited) (*.csv)”, or upload the .xlsx file",
        "文件既不是 XLSX 工作簿，也不是 UTF-8 或 GBK 编码的 CSV 文本；请在 Excel 中“另存为”\
         “CSV UTF-8（逗号分隔）(*.csv)”，或直接上传 .xlsx 文件",
    )
}

/// The text of a CSV file. A byte order mark decides the encoding; without
/// one, valid UTF-8 is UTF-8 and anything else is read as GB18030 (a
/// superset of GBK and GB2312). Binary data is an error.
pub(super) fn decode(bytes: &[u8]) -> Result<String, Diagnostic> {
    let text = if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        encoding
            .decode_without_bom_handling_and_without_replacement(body)
            .ok_or_else(not_text)?
            .into_owned()
    } else if bytes.contains(&0) {
        return Err(not_text());
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        text.to_string()
    } else {
        GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or_else(not_text)?
            .into_owned()
    };
    let binary = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'));
    if binary {
        return Err(not_text());
    }
    Ok(text)
}

/// The field separator: whichever of `,` `;` and tab occurs most in the
/// first line (Excel's "Unicode text" uses tabs, some locales `;`); a
/// full-width `，` when the line has none of them (a file typed by hand
/// with a Chinese input method); `,` otherwise.
fn delimiter(text: &str) -> char {
    let first = text.lines().next().unwrap_or_default();
    let count = |d: char| first.chars().filter(|c| *c == d).count();
    let mut best = ',';
    for d in [';', '\t'] {
        if count(d) > count(best) {
            best = d;
        }
    }
    if count(best) == 0 && count('，') > 0 {
        return '，';
    }
    best
}

/// Records (rows) of fields. A field quoted with `"` may hold the
/// separator, line breaks and `""` for a quote; a quote inside an unquoted
/// field is kept as written. At most `max_rows` records.
pub(super) fn records(text: &str, max_rows: usize) -> Result<Vec<Vec<String>>, Diagnostic> {
    let delim = delimiter(text);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                if rows.len() > max_rows {
                    return Err(too_many_rows(max_rows));
                }
            }
            c if c == delim => row.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    if in_quotes {
        let line = rows.len() + 1;
        let mut d = Diagnostic::error(
            "",
            format!("row {line}: a quoted field (\") is never closed"),
            format!("第{line}行：引号（\"）没有闭合"),
        );
        d.line = Some(line);
        return Err(d);
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    if rows.len() > max_rows {
        return Err(too_many_rows(max_rows));
    }
    Ok(rows)
}

fn too_many_rows(max_rows: usize) -> Diagnostic {
    Diagnostic::error(
        "",
        format!("the file has more than {max_rows} rows"),
        format!("文件超过 {max_rows} 行"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        records(text, 100).unwrap_or_else(|d| panic!("{d}"))
    }

    #[test]
    fn quoting_separators_and_line_ends() {
        assert_eq!(
            rows("a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\n3,,\n"),
            [
                vec!["a", "b", "c"],
                vec!["x,1", "say \"hi\"", "two\nlines"],
                vec!["3", "", ""],
            ]
        );
        assert_eq!(rows("a;b\n1;2"), [vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(
            rows("a\tb\tc,d\r1\t2\t3,4"),
            [vec!["a", "b", "c,d"], vec!["1", "2", "3,4"]]
        );
        assert_eq!(
            rows("a,b\n\n1,2\n"),
            [vec!["a", "b"], vec![""], vec!["1", "2"]]
        );
        assert_eq!(rows("5 \"in\",x"), [vec!["5 \"in\"", "x"]]);
        assert_eq!(rows("a，b\n1，2"), [vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(
            rows("a，b,c\n1，2,3"),
            [vec!["a，b", "c"], vec!["1，2", "3"]]
        );
        assert!(rows("").is_empty());
    }

    #[test]
    fn an_open_quote_and_too_many_rows_are_errors() {
        let open = records("a,b\n\"x,1\n2,3\n", 100);
        assert!(open.is_err_and(|d| d.line == Some(2)));
        assert!(records("1\n2\n3\n", 2).is_err());
        assert!(records("1\n2\n", 2).is_ok());
    }

    #[test]
    fn encodings() {
        let ok = |b: &[u8]| decode(b).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(ok("\u{feff}指标,1".as_bytes()), "指标,1");
        assert_eq!(ok("指标,1".as_bytes()), "指标,1");
        let (gbk, _, _) = GB18030.encode("指标编号,年份");
        assert_eq!(ok(&gbk), "指标编号,年份");
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("指标\t1".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(ok(&utf16), "指标\t1");
        assert!(decode(&[0x00, 0x01, 0x02]).is_err());
        assert!(decode(&[0x81, 0x20, 0xFF, 0xFE, 0x30]).is_err());
        assert!(decode(b"a,\x07b").is_err());
    }
}
