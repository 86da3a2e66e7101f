//! Free slots, computed in the business's own time zone: working hours are wall-clock times
//! of each weekday, and a day's hours become instants through chrono-tz, so a slot at 9:00
//! is at 9:00 on both sides of a daylight-saving change. Pure: tested without a database.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;

/// Wall-clock working hours on one weekday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hours {
    pub weekday: Weekday,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// An interval of time, start included and end excluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
}

impl Span {
    pub fn overlaps(&self, other: &Span) -> bool {
        self.starts < other.ends && other.starts < self.ends
    }
}

/// What a slot takes: the service itself, and the buffers before and after it that keep the
/// resource busy too.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub duration: TimeDelta,
    pub before: TimeDelta,
    pub after: TimeDelta,
    /// Slots start on this grid from the opening time.
    pub interval: TimeDelta,
}

impl Shape {
    /// The time a slot starting at `starts` keeps its resource busy.
    pub fn block(&self, starts: DateTime<Utc>) -> Span {
        Span {
            starts: starts - self.before,
            ends: starts + self.duration + self.after,
        }
    }
}

/// The instant a wall-clock time names in `zone`. A time skipped by a spring-forward change
/// is read as the same time after the change (9:00 that does not exist is 10:00); a time
/// repeated by a fall-back change is its first occurrence.
pub fn instant(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Read with the offset in force just before the gap (gaps last a few hours at
            // most): 9:00 skipped by a jump to 10:00 is the instant 10:00 names after it.
            let mut probe = local;
            for _ in 0..(4 * 60) {
                probe -= TimeDelta::minutes(1);
                if let Some(before) = zone.from_local_datetime(&probe).earliest() {
                    let offset =
                        TimeDelta::seconds(i64::from(before.offset().fix().local_minus_utc()));
                    return (local - offset).and_utc();
                }
            }
            local.and_utc()
        }
    }
}

/// Each opening of the days `from..=to` in `zone`, as instants.
pub fn openings(zone: Tz, from: NaiveDate, to: NaiveDate, week: &[Hours]) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut day = from;
    while day <= to {
        for hours in week.iter().filter(|h| h.weekday == day.weekday()) {
            let starts = instant(zone, day.and_time(hours.opens));
            let ends = instant(zone, day.and_time(hours.closes));
            if starts < ends {
                spans.push(Span { starts, ends });
            }
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    spans
}

/// The starts of the free slots of one resource: within its openings, on the shape's grid,
/// at or after `earliest` and before `latest`, whose block overlaps nothing in `busy`.
pub fn free(
    openings: &[Span],
    busy: &[Span],
    shape: &Shape,
    earliest: DateTime<Utc>,
    latest: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let mut found = Vec::new();
    if shape.interval <= TimeDelta::zero() || shape.duration <= TimeDelta::zero() {
        return found;
    }
    // The busy spans by start, with the latest end of each prefix: a block overlaps one iff,
    // of the spans starting before it ends, the latest end is after it starts. A month of
    // candidates is then a binary search each, not a scan of every booking.
    let mut busy = busy.to_vec();
    busy.sort_by_key(|b| b.starts);
    let latest_end: Vec<DateTime<Utc>> = busy
        .iter()
        .scan(DateTime::<Utc>::MIN_UTC, |latest, b| {
            *latest = (*latest).max(b.ends);
            Some(*latest)
        })
        .collect();
    let taken = |block: &Span| {
        let starting_before = busy.partition_point(|b| b.starts < block.ends);
        starting_before > 0 && latest_end[starting_before - 1] > block.starts
    };
    for opening in openings {
        let mut starts = opening.starts;
        while starts + shape.duration <= opening.ends {
            let block = shape.block(starts);
            if starts >= earliest && starts < latest && !taken(&block) {
                found.push(starts);
            }
            starts += shape.interval;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().expect("an instant")
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn nine_to_two(weekdays: &[Weekday]) -> Vec<Hours> {
        weekdays
            .iter()
            .map(|&weekday| Hours {
                weekday,
                opens: NaiveTime::from_hms_opt(9, 0, 0).expect("9:00"),
                closes: NaiveTime::from_hms_opt(14, 0, 0).expect("14:00"),
            })
            .collect()
    }

    const HOUR: Shape = Shape {
        duration: TimeDelta::hours(1),
        before: TimeDelta::zero(),
        after: TimeDelta::zero(),
        interval: TimeDelta::hours(1),
    };

    #[test]
    fn nine_oclock_stays_nine_oclock_across_santiagos_change_of_clocks() {
        // Chile leaves summer time on the first Sunday of April 2026: Saturday is UTC−3,
        // Monday UTC−4.
        let zone: Tz = "America/Santiago".parse().expect("zone");
        let week = nine_to_two(&[Weekday::Sat, Weekday::Mon]);
        let spans = openings(zone, day("2026-04-04"), day("2026-04-06"), &week);
        assert_eq!(
            spans,
            vec![
                Span {
                    starts: at("2026-04-04T12:00:00Z"),
                    ends: at("2026-04-04T17:00:00Z")
                },
                Span {
                    starts: at("2026-04-06T13:00:00Z"),
                    ends: at("2026-04-06T18:00:00Z")
                },
            ]
        );
        // And back into summer time on the first Sunday of September: Saturday UTC−4,
        // Monday UTC−3.
        let spans = openings(zone, day("2026-09-05"), day("2026-09-07"), &week);
        assert_eq!(spans[0].starts, at("2026-09-05T13:00:00Z"));
        assert_eq!(spans[1].starts, at("2026-09-07T12:00:00Z"));
    }

    #[test]
    fn mexico_city_keeps_standard_time_all_year_since_2022() {
        let zone: Tz = "America/Mexico_City".parse().expect("zone");
        let week = nine_to_two(&[Weekday::Mon]);
        // April would have been summer time (UTC−5) before 2022; it is UTC−6 now.
        for monday in ["2026-01-05", "2026-04-06", "2026-07-06"] {
            let spans = openings(zone, day(monday), day(monday), &week);
            assert_eq!(
                spans[0].starts,
                at(&format!("{monday}T15:00:00Z")),
                "{monday}"
            );
        }
    }

    #[test]
    fn a_skipped_hour_opens_at_the_next_valid_minute_and_a_repeated_one_at_its_first() {
        let zone: Tz = "America/Santiago".parse().expect("zone");
        // 00:30 on 2026-09-06 does not exist in Santiago (clocks jump from 00:00 to 01:00):
        // it is the instant 01:30 names.
        let skipped =
            NaiveDateTime::parse_from_str("2026-09-06 00:30", "%Y-%m-%d %H:%M").expect("local");
        assert_eq!(instant(zone, skipped), at("2026-09-06T04:30:00Z"));
        // 2026-04-04 23:30 happens twice; the first is in summer time.
        let repeated =
            NaiveDateTime::parse_from_str("2026-04-04 23:30", "%Y-%m-%d %H:%M").expect("local");
        assert_eq!(instant(zone, repeated), at("2026-04-05T02:30:00Z"));
    }

    #[test]
    fn slots_avoid_what_is_booked_with_its_buffers_and_respect_notice_and_horizon() {
        let opening = [Span {
            starts: at("2026-05-04T15:00:00Z"),
            ends: at("2026-05-04T20:00:00Z"),
        }];
        let all = free(
            &opening,
            &[],
            &HOUR,
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        );
        assert_eq!(all.len(), 5);
        // A booking at 16:00 with 15 minutes of cleaning after keeps 16:00–17:15 busy; a
        // slot's own cleaning may not run into it either, so 15:00 and 17:00 go as well.
        let shape = Shape {
            after: TimeDelta::minutes(15),
            ..HOUR
        };
        let busy = [shape.block(at("2026-05-04T16:00:00Z"))];
        let left = free(
            &opening,
            &busy,
            &shape,
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        );
        assert_eq!(
            left,
            vec![at("2026-05-04T18:00:00Z"), at("2026-05-04T19:00:00Z")]
        );
        // Two hours' notice from 15:30 leaves 18:00 and 19:00; a horizon before 19:00 one.
        let soon = free(
            &opening,
            &[],
            &HOUR,
            at("2026-05-04T17:30:00Z"),
            at("2026-05-04T18:30:00Z"),
        );
        assert_eq!(soon, vec![at("2026-05-04T18:00:00Z")]);
    }

    #[test]
    fn a_long_booking_hides_every_slot_under_it_whatever_lies_inside_it() {
        let opening = [Span {
            starts: at("2026-05-04T15:00:00Z"),
            ends: at("2026-05-04T22:00:00Z"),
        }];
        // 15:00–19:00 with a short booking inside it and one after, given out of order.
        let busy = [
            Span {
                starts: at("2026-05-04T20:00:00Z"),
                ends: at("2026-05-04T21:00:00Z"),
            },
            Span {
                starts: at("2026-05-04T16:00:00Z"),
                ends: at("2026-05-04T16:30:00Z"),
            },
            Span {
                starts: at("2026-05-04T15:00:00Z"),
                ends: at("2026-05-04T19:00:00Z"),
            },
        ];
        let free = free(
            &opening,
            &busy,
            &HOUR,
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z"),
        );
        assert_eq!(
            free,
            [at("2026-05-04T19:00:00Z"), at("2026-05-04T21:00:00Z")]
        );
    }
}
