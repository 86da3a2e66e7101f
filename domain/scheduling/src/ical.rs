//! iCalendar (RFC 5545) as calendars read it: Google and Apple subscribe to a feed of
//! events, and a booking's email carries one event as an `.ics` file.

use chrono::{DateTime, Utc};

/// One event of a calendar.
pub struct Event<'a> {
    /// Stable across versions, so a calendar updates the event instead of adding another.
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: &'a str,
    pub description: Option<&'a str>,
    pub location: Option<&'a str>,
    /// CONFIRMED, TENTATIVE or CANCELLED.
    pub status: &'static str,
    /// Changes whenever the event does (its row's last update).
    pub stamp: DateTime<Utc>,
    /// Bumped when the event changes, so a client that imported it takes the new one.
    pub sequence: i64,
}

fn utc(at: &DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping: backslash, semicolon, comma and line breaks.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line folded at 75 octets, never inside a UTF-8 character, each line
/// ended by CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let size = c.len_utf8();
        if width + size > 75 {
            out.push_str("\r\n ");
            // The leading space counts towards the continuation line's octets.
            width = 1;
        }
        out.push(c);
        width += size;
    }
    out.push_str("\r\n");
}

/// A calendar of `events`, named `name` in the subscriber's list.
pub fn calendar(name: &str, method: Option<&str>, events: &[Event<'_>]) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Tianguis//Agenda//ES");
    line(&mut out, "CALSCALE:GREGORIAN");
    if let Some(method) = method {
        line(&mut out, &format!("METHOD:{method}"));
    }
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    for event in events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", event.uid));
        line(&mut out, &format!("DTSTAMP:{}", utc(&event.stamp)));
        line(&mut out, &format!("DTSTART:{}", utc(&event.starts_at)));
        line(&mut out, &format!("DTEND:{}", utc(&event.ends_at)));
        line(&mut out, &format!("SEQUENCE:{}", event.sequence));
        line(&mut out, &format!("SUMMARY:{}", text(event.summary)));
        if let Some(description) = event.description {
            line(&mut out, &format!("DESCRIPTION:{}", text(description)));
        }
        if let Some(location) = event.location {
            line(&mut out, &format!("LOCATION:{}", text(location)));
        }
        line(&mut out, &format!("STATUS:{}", event.status));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(summary: &str) -> Event<'_> {
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 16, 30, 0).unwrap();
        Event {
            uid: "a1@tianguis".into(),
            starts_at: at,
            ends_at: at + chrono::TimeDelta::minutes(45),
            summary,
            description: None,
            location: None,
            status: "CONFIRMED",
            stamp: at,
            sequence: 0,
        }
    }

    #[test]
    fn text_values_are_escaped_and_times_are_utc() {
        let out = calendar(
            "Agenda",
            None,
            &[event("Limpieza, dental; Dra. \\ Ruiz\nsala 2")],
        );
        assert!(out.contains("SUMMARY:Limpieza\\, dental\\; Dra. \\\\ Ruiz\\nsala 2\r\n"));
        assert!(out.contains("DTSTART:20261204T163000Z\r\nDTEND:20261204T171500Z\r\n"));
        assert!(out.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(out.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn long_lines_fold_at_75_octets_without_splitting_a_character() {
        let summary = "Consulta de valoración ñandú ".repeat(8);
        let out = calendar("Agenda", None, &[event(&summary)]);
        for physical in out.split("\r\n") {
            assert!(
                physical.len() <= 75,
                "{physical:?} is longer than 75 octets"
            );
        }
        let unfolded = out.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{summary}")));
    }
}
