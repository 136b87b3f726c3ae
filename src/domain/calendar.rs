//! The process calendar as iCalendar (RFC 5545) for Outlook and other
//! calendar clients: all-day events, text escaped (§3.3.11), lines folded
//! at 75 octets (§3.1), CRLF line ends.

use chrono::{DateTime, NaiveDate, Utc};

/// One all-day event of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEvent {
    /// Stable across fetches (`deadline-<id>@kommunrapport`), so a client
    /// updates the event rather than adding another.
    pub uid: String,
    pub date: NaiveDate,
    pub summary: String,
    pub description: Option<String>,
    /// When the event's source last changed (its DTSTAMP): a feed fetched
    /// twice without changes is byte for byte the same.
    pub stamp: DateTime<Utc>,
}

/// Escapes a TEXT value: backslash, semicolon, comma and line ends.
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            // Other control characters are not allowed in TEXT.
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded so that no line exceeds 75 octets (without its
/// CRLF), never splitting a UTF-8 character, each followed by CRLF.
pub fn fold_line(line: &str, out: &mut String) {
    let mut used = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if used + len > 75 {
            out.push_str("\r\n ");
            // The leading space counts towards the continuation's octets.
            used = 1;
        }
        out.push(c);
        used += len;
    }
    out.push_str("\r\n");
}

/// The calendar: a VCALENDAR named `name` with one VEVENT per event.
pub fn render(name: &str, events: &[CalendarEvent]) -> String {
    let mut out = String::new();
    let mut line = |text: String| fold_line(&text, &mut out);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//kommunrapport//Uppföljningsprocessen//SV".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape_text(name)));
    for event in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape_text(&event.uid)));
        line(format!("DTSTAMP:{}", event.stamp.format("%Y%m%dT%H%M%SZ")));
        line(format!(
            "DTSTART;VALUE=DATE:{}",
            event.date.format("%Y%m%d")
        ));
        let end = event.date.succ_opt().unwrap_or(event.date);
        line(format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
        line(format!("SUMMARY:{}", escape_text(&event.summary)));
        if let Some(description) = &event.description {
            line(format!("DESCRIPTION:{}", escape_text(description)));
        }
        line("TRANSP:TRANSPARENT".into());
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape_text("a,b;c\\d\r\ne\nf"), "a\\,b\\;c\\\\d\\ne\\nf");
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_characters() {
        let mut out = String::new();
        let text = format!("SUMMARY:{}", "å".repeat(100));
        fold_line(&text, &mut out);
        for line in out.split_terminator("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, text);
    }

    #[test]
    fn an_event_is_all_day_with_crlf() {
        let stamp = DateTime::from_timestamp(1_733_216_400, 0).unwrap_or_default();
        let text = render(
            "Kalender",
            &[CalendarEvent {
                uid: "deadline-1@kommunrapport".into(),
                date: NaiveDate::from_ymd_opt(2025, 2, 7).unwrap_or_default(),
                summary: "Inlämning: Årsredovisning 2024, VON".into(),
                description: None,
                stamp,
            }],
        );
        assert!(text.contains("\r\nDTSTART;VALUE=DATE:20250207\r\nDTEND;VALUE=DATE:20250208\r\n"));
        assert!(text.contains("SUMMARY:Inlämning: Årsredovisning 2024\\, VON\r\n"));
        assert!(text.contains("DTSTAMP:20241203T090000Z\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
    }
}
