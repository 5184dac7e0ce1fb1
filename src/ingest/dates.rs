//! One date parser for every source: metadata values (RFC 3339, RFC 2822, plain dates, Reuters'
//! `26-FEB-1987 15:01:01.79`) and publication dates inferred from an article's text.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::model::midnight;

const MONTHS: [(&str, u32); 12] = [
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];

/// Month number for an English month name or abbreviation ("Feb", "Feb.", "February", "Sept").
pub fn month_number(word: &str) -> Option<u32> {
    let lower = word.trim_end_matches('.').to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let (prefix, number) = MONTHS.iter().find(|(prefix, _)| lower.starts_with(prefix))?;
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ][*number as usize - 1];
    // Accept the abbreviation, "sept", or the full name; reject words that merely start alike ("marching").
    (lower == *prefix || lower == full || lower == "sept").then_some(*number)
}

/// Parses a metadata date value. Dates without a time are taken at midnight UTC; times without a
/// zone are taken as UTC.
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(date) = DateTime::parse_from_rfc3339(text) {
        return Some(date.with_timezone(&Utc));
    }
    if let Ok(date) = DateTime::parse_from_rfc2822(text) {
        return Some(date.with_timezone(&Utc));
    }
    // ISO forms with an offset written without a colon (`+0000`), or a space before it.
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f %z", "%Y-%m-%dT%H:%M%z"] {
        if let Ok(date) = DateTime::parse_from_str(text, format) {
            return Some(date.with_timezone(&Utc));
        }
    }
    // A trailing UTC/GMT name on an otherwise plain ISO time.
    let text = text.strip_suffix(" UTC").or_else(|| text.strip_suffix(" GMT")).unwrap_or(text);
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(date) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Utc.from_utc_datetime(&date));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(midnight(date));
    }
    parse_reuters_date(text).or_else(|| parse_named_month_date(text))
}

/// Month abbreviations in the languages feeds are written in (Portuguese `Set`, `Out`, `Dez`;
/// Spanish `Ene`, `Dic`; German `Mär`, `Okt`; French `Févr`, `Déc`). Only structured date values
/// use them: in running text these words are too often something else.
const FOREIGN_MONTHS: [(&str, u32); 22] = [
    ("fev", 2),
    ("fév", 2),
    ("mär", 3),
    ("mrz", 3),
    ("abr", 4),
    ("avr", 4),
    ("mai", 5),
    ("juin", 6),
    ("juil", 7),
    ("ago", 8),
    ("aoû", 8),
    ("set", 9),
    ("out", 10),
    ("okt", 10),
    ("dez", 12),
    ("déc", 12),
    ("dic", 12),
    ("ene", 1),
    ("janv", 1),
    ("févr", 2),
    ("mars", 3),
    ("sept", 9),
];

fn any_month_number(word: &str) -> Option<u32> {
    month_number(word).or_else(|| {
        let lower = word.trim_end_matches('.').to_lowercase();
        FOREIGN_MONTHS.iter().find(|(name, _)| lower == *name).map(|(_, number)| *number)
    })
}

/// Offset in seconds east of UTC for the zone names feeds use instead of numeric offsets.
fn zone_offset(zone: &str) -> Option<i32> {
    let hours = match zone.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" | "WET" => 0,
        "EST" => -5,
        "EDT" | "AST" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        "BRT" => -3,
        "CET" | "BST" | "WEST" => 1,
        "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "JST" | "KST" => 9,
        _ => {
            let (sign, digits) = match zone.as_bytes().first()? {
                b'+' => (1, &zone[1..]),
                b'-' => (-1, &zone[1..]),
                _ => return None,
            };
            let digits: String = digits.chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            let minutes = digits[..2].parse::<i32>().ok()? * 60 + digits[2..].parse::<i32>().ok()?;
            return Some(sign * minutes * 60);
        }
    };
    Some(hours * 3600)
}

/// Dates written with a month name in any order feeds use: `Seg, 24 Set 2018 19:42:40 -0300`
/// (RFC 822 in Portuguese), `Tue, 21 Aug 2012 10:33:00 EST`, `May 5, 2025`, `5 May 2025 10:00`.
/// Needs a day, a month name and a four-digit year; the time and zone are optional (UTC).
pub fn parse_named_month_date(text: &str) -> Option<DateTime<Utc>> {
    let words: Vec<&str> = text.split([' ', ',', '\t']).filter(|word| !word.is_empty()).collect();
    let (mut day, mut month, mut year, mut time, mut offset) = (None, None, None, None, 0);
    for word in words {
        if let Some(number) = any_month_number(word).filter(|_| month.is_none()) {
            month = Some(number);
        } else if let Some(number) =
            word.strip_prefix("mid-").and_then(any_month_number).filter(|_| month.is_none() && day.is_none())
        {
            // "mid-May 2025" as a date value: the middle of the month.
            (month, day) = (Some(number), Some(15));
        } else if word.contains(':') && time.is_none() {
            let clean = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            time = NaiveTime::parse_from_str(clean, "%H:%M:%S%.f")
                .or_else(|_| NaiveTime::parse_from_str(clean, "%H:%M"))
                .ok();
            time?;
        } else if let Some(number) = word
            .trim_end_matches('.')
            .parse::<u32>()
            .ok()
            .filter(|_| word.trim_end_matches('.').bytes().all(|byte| byte.is_ascii_digit()))
        {
            match number {
                1..=31 if day.is_none() && word.len() <= 3 => day = Some(number),
                1000..=9999 if year.is_none() => year = Some(number as i32),
                _ => return None,
            }
        } else if let Some(afternoon) = match word.to_ascii_lowercase().as_str() {
            "am" | "a.m." => Some(false),
            "pm" | "p.m." => Some(true),
            _ => None,
        }
        .filter(|_| time.is_some())
        {
            use chrono::Timelike;
            let clock = time?;
            let hour = clock.hour() % 12 + if afternoon { 12 } else { 0 };
            time = clock.with_hour(hour);
        } else if let Some(seconds) = zone_offset(word).filter(|_| time.is_some()) {
            offset = seconds;
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let local = date.and_time(time.unwrap_or(NaiveTime::MIN));
    let zone = chrono::FixedOffset::east_opt(offset)?;
    Some(local.and_local_timezone(zone).single()?.with_timezone(&Utc))
}

/// Reuters' `DD-MON-YYYY HH:MM:SS.cc`, tolerating leading and doubled spaces and trailing junk.
/// A malformed time keeps the day (the day is still the source's own metadata).
pub fn parse_reuters_date(text: &str) -> Option<DateTime<Utc>> {
    let mut parts = text.split_whitespace();
    let day_part = parts.next()?;
    let mut fields = day_part.split('-');
    let day: u32 = fields.next()?.parse().ok()?;
    let month = month_number(fields.next()?)?;
    let year: i32 = fields.next()?.get(..4)?.parse().ok()?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = parts.next().and_then(|time_part| {
        let clean: String = time_part.chars().take_while(|c| c.is_ascii_digit() || *c == ':' || *c == '.').collect();
        NaiveTime::parse_from_str(&clean, "%H:%M:%S%.f").ok()
    });
    Some(Utc.from_utc_datetime(&date.and_time(time.unwrap_or(NaiveTime::MIN))))
}

/// The publication day a text implies: the latest day it mentions, where a day written without a
/// year takes the latest year the text mentions. `None` when the text names no day, or names days
/// but no year at all.
pub fn date_from_text(text: &str) -> Option<NaiveDate> {
    date_from_text_at(text, None)
}

/// Number words that relative dates use ("two days ago").
fn count_word(word: &str) -> Option<i64> {
    let words = ["a", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    word.parse()
        .ok()
        .or_else(|| words.iter().position(|known| known.eq_ignore_ascii_case(word)).map(|n| n.max(1) as i64))
}

/// Days named relative to `reference` (the crawl time): today, yesterday, "3 hours ago",
/// "two days ago", "1 week ago".
fn relative_days(words: &[&str], reference: DateTime<Utc>) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let bare = word.trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_lowercase();
        match bare.as_str() {
            "today" => days.push(reference.date_naive()),
            "yesterday" => days.push((reference - chrono::Duration::days(1)).date_naive()),
            "ago" if index >= 2 => {
                let unit = words[index - 1].trim_matches(|c: char| !c.is_alphanumeric()).to_ascii_lowercase();
                let Some(count) = count_word(words[index - 2].trim_matches(|c: char| !c.is_alphanumeric())) else {
                    continue;
                };
                let span = match unit.trim_end_matches('s') {
                    "minute" => chrono::Duration::minutes(count),
                    "hour" => chrono::Duration::hours(count),
                    "day" => chrono::Duration::days(count),
                    "week" => chrono::Duration::weeks(count),
                    _ => continue,
                };
                if let Some(then) = reference.checked_sub_signed(span) {
                    days.push(then.date_naive());
                }
            }
            _ => {}
        }
    }
    days
}

/// [`date_from_text`] with a reference time (when the page was fetched): relative dates count,
/// and a day written without a year in a text that names no year takes the reference's year (the
/// year before, when that would put it after the reference).
pub fn date_from_text_at(text: &str, reference: Option<DateTime<Utc>>) -> Option<NaiveDate> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"' | ';'))
        .filter(|word| !word.is_empty())
        .collect();
    let mut latest_year: Option<i32> = None;
    for word in &words {
        let digits = word.trim_matches(|c: char| !c.is_ascii_digit());
        if digits.len() == 4 && word.trim_end_matches(['.', ',', ':']).len() == 4 {
            if let Ok(year) = digits.parse::<i32>() {
                if (1900..=2100).contains(&year) {
                    latest_year = Some(latest_year.map_or(year, |latest| latest.max(year)));
                }
            }
        }
    }
    let mut mentions: Vec<(u32, u32, Option<i32>)> = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let Some(month) = month_number(word.trim_end_matches(',')) else { continue };
        // Capitalised month names only: "may" in running text is a verb.
        if !word.starts_with(|c: char| c.is_ascii_uppercase()) {
            continue;
        }
        let Some(next) = words.get(index + 1) else { continue };
        let day_text = next.trim_end_matches([',', '.', ':']);
        let Ok(day) = day_text.trim_end_matches(|c: char| c.is_ascii_alphabetic()).parse::<u32>() else { continue };
        if !(1..=31).contains(&day) || day_text.len() > 4 {
            continue;
        }
        let year = words
            .get(index + 2)
            .filter(|_| next.ends_with(',') || words.get(index + 2).is_some_and(|w| w.len() >= 4))
            .and_then(|word| word.trim_end_matches(['.', ',', ':']).parse::<i32>().ok())
            .filter(|year| (1900..=2100).contains(year));
        mentions.push((month, day, year));
    }
    let absolute = mentions.into_iter().filter_map(|(month, day, year)| match (year.or(latest_year), reference) {
        (Some(year), _) => NaiveDate::from_ymd_opt(year, month, day),
        (None, Some(reference)) => {
            let this_year = NaiveDate::from_ymd_opt(reference.year(), month, day)?;
            if this_year > reference.date_naive() {
                NaiveDate::from_ymd_opt(reference.year() - 1, month, day)
            } else {
                Some(this_year)
            }
        }
        (None, None) => None,
    });
    let relative = reference.map(|reference| relative_days(&words, reference)).unwrap_or_default();
    absolute.chain(relative).max()
}

/// Today's date, for callers that want a year to compare against.
pub fn current_year() -> i32 {
    Utc::now().year()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn parses_metadata_formats() {
        let cases = [
            ("2025-05-05T10:00:00Z", "2025-05-05T10:00:00+00:00"),
            ("2025-05-05T12:00:00+02:00", "2025-05-05T10:00:00+00:00"),
            ("2025-05-05", "2025-05-05T00:00:00+00:00"),
            ("Mon, 05 May 2025 10:00:00 GMT", "2025-05-05T10:00:00+00:00"),
            ("26-FEB-1987 15:01:01.79", "1987-02-26T15:01:01.790+00:00"),
            (" 5-MAR-1987 09:12:55.20", "1987-03-05T09:12:55.200+00:00"),
            ("27-MAR-1987 00:02:59.13\u{5}\u{5}\u{5}RM", "1987-03-27T00:02:59.130+00:00"),
            ("31-MAR-1987 605:12:19.12", "1987-03-31T00:00:00+00:00"),
            // Feeds: obsolete zone names, Portuguese day and month names, month-first dates.
            ("Tue, 21 Aug 2012 10:33:00 EST", "2012-08-21T15:33:00+00:00"),
            ("Seg, 24 Set 2018 19:42:40 -0300", "2018-09-24T22:42:40+00:00"),
            ("Qua, 03 Jan 2018 17:04:00 +0000", "2018-01-03T17:04:00+00:00"),
            ("Sat, 02 Dez 2017 08:00:00 GMT", "2017-12-02T08:00:00+00:00"),
            ("Di, 2 Feb 2016 10:00:00 +0100", "2016-02-02T09:00:00+00:00"),
            ("May 5, 2025", "2025-05-05T00:00:00+00:00"),
            ("5 May 2025 10:00 PDT", "2025-05-05T17:00:00+00:00"),
            ("Feb. 28, 2023", "2023-02-28T00:00:00+00:00"),
            ("mid-May 2025", "2025-05-15T00:00:00+00:00"),
            // Page metadata as the extraction benchmark's sites write it.
            ("2019-11-19T13:16:49+0000", "2019-11-19T13:16:49+00:00"),
            ("2019-11-19 02:24:00 UTC", "2019-11-19T02:24:00+00:00"),
            ("2019-11-20T01:50:59.403", "2019-11-20T01:50:59.403+00:00"),
            ("November 19, 2019, 07:47 PM EST", "2019-11-20T00:47:00+00:00"),
            ("November 19, 2019, 12:05 AM", "2019-11-19T00:05:00+00:00"),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_date(input).map(|d| d.to_rfc3339()).as_deref(), Some(expected), "{input}");
        }
        assert_eq!(parse_date("not a date"), None);
        assert_eq!(parse_date("2025-13-45"), None);
        assert_eq!(parse_date("May 5"), None, "a metadata value needs its year");
        assert_eq!(parse_date("Seg, 31 Fev 2018 10:00:00 -0300"), None, "no February 31st");
    }

    #[test]
    fn month_names_need_a_real_month_word() {
        assert_eq!(month_number("Feb."), Some(2));
        assert_eq!(month_number("September"), Some(9));
        assert_eq!(month_number("Sept"), Some(9));
        assert_eq!(month_number("Marching"), None);
    }

    #[test]
    fn seed_article_is_dated_from_its_text() {
        let text = include_str!("../../tests/fixtures/seed/kremlin-trump-putin-meeting.txt");
        assert_eq!(date_from_text(text), Some(ymd(2025, 5, 5)));
    }

    #[test]
    fn relative_dates_count_against_the_crawl_time() {
        let crawled: DateTime<Utc> = "2025-03-10T08:00:00Z".parse().unwrap();
        let cases = [
            ("Published yesterday by our desk.", Some(ymd(2025, 3, 9))),
            ("Updated 3 hours ago.", Some(ymd(2025, 3, 10))),
            ("Updated 9 hours ago.", Some(ymd(2025, 3, 9))),
            ("The vote was two days ago.", Some(ymd(2025, 3, 8))),
            ("It happened 1 week ago.", Some(ymd(2025, 3, 3))),
            ("Talks resume on March 2.", Some(ymd(2025, 3, 2))),
            ("Talks resume on Dec. 30.", Some(ymd(2024, 12, 30))),
            ("Signed on Feb. 28, 2023, reviewed today.", Some(ymd(2025, 3, 10))),
            ("No dates in this text at all.", None),
        ];
        for (text, expected) in cases {
            assert_eq!(date_from_text_at(text, Some(crawled)), expected, "{text}");
        }
        assert_eq!(date_from_text("Published yesterday."), None, "relative dates need a reference");
    }

    #[test]
    fn a_day_with_its_own_year_competes_with_inferred_ones() {
        assert_eq!(date_from_text("On May 5 the talks began. Accessed May 15, 2023. In 2025."), Some(ymd(2025, 5, 5)));
        assert_eq!(date_from_text("Signed on Feb. 28, 2026 after talks in 2025."), Some(ymd(2026, 2, 28)));
        assert_eq!(date_from_text("No days here, only 2025."), None);
        assert_eq!(date_from_text("It may 5 times fail."), None);
        // "mid-May" names a period, not a day: the seed's "his schedule for mid-May" does not date it.
        assert_eq!(
            date_from_text("Talks are due in mid-May, the ministry said on May 2, 2024."),
            Some(ymd(2024, 5, 2))
        );
    }
}
