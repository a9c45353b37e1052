//! Timestamps as SigV4 writes them: ISO 8601 basic format (`20150830T123600Z`) in `X-Amz-Date`,
//! and the HTTP `Date` header (IMF-fixdate) as a fallback.
//!
//! The crate has no clock: a timestamp is whole seconds since the Unix epoch, converted with the
//! `time` crate's proleptic Gregorian calendar.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whole seconds since 1970-01-01T00:00:00Z; negative before it.
pub(crate) type UnixSeconds = i64;

fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    bytes.iter().try_fold(0u32, |acc, b| acc.checked_mul(10)?.checked_add(u32::from(b - b'0')))
}

fn from_fields(year: u32, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> Option<UnixSeconds> {
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    let date = time::Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()?;
    let clock =
        time::Time::from_hms(u8::try_from(hour).ok()?, u8::try_from(min).ok()?, u8::try_from(sec).ok()?).ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc().unix_timestamp())
}

/// Parses `YYYYMMDDTHHMMSSZ`, the only form SigV4 accepts in `X-Amz-Date`.
///
/// See "Elements of an AWS API request signature": the timestamp "must be in UTC and in the
/// format YYYYMMDDTHHMMSSZ" (<https://docs.aws.amazon.com/IAM/latest/UserGuide/signing-elements.html>).
pub(crate) fn parse_amz_date(value: &str) -> Option<UnixSeconds> {
    let b = value.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    from_fields(
        digits(&b[0..4])?,
        digits(&b[4..6])?,
        digits(&b[6..8])?,
        digits(&b[9..11])?,
        digits(&b[11..13])?,
        digits(&b[13..15])?,
    )
}

/// Parses the HTTP `Date` header in IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110
/// section 5.6.7), which SigV4 accepts when `X-Amz-Date` is absent.
pub(crate) fn parse_http_date(value: &str) -> Option<UnixSeconds> {
    const MONTHS: [&[u8; 3]; 12] =
        [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
    let b = value.as_bytes();
    if b.len() != 29
        || !b[0..3].iter().all(u8::is_ascii_alphabetic)
        || &b[3..5] != b", "
        || b[7] != b' '
        || b[11] != b' '
        || b[16] != b' '
        || b[19] != b':'
        || b[22] != b':'
        || &b[25..29] != b" GMT"
    {
        return None;
    }
    let month = MONTHS.iter().position(|m| &b[8..11] == m.as_slice())?;
    from_fields(
        digits(&b[12..16])?,
        u32::try_from(month + 1).ok()?,
        digits(&b[5..7])?,
        digits(&b[17..19])?,
        digits(&b[20..22])?,
        digits(&b[23..25])?,
    )
}

/// Formats as `YYYYMMDDTHHMMSSZ`, the timestamp line of the string to sign. Times beyond the years
/// -9999..=9999 are written as the nearest of those.
pub(crate) fn format_amz_date(t: UnixSeconds) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(if t < 0 {
        time::PrimitiveDateTime::MIN.assume_utc()
    } else {
        time::PrimitiveDateTime::MAX.assume_utc()
    });
    // A format described once, at compile time: written on every request verified.
    const AMZ_DATE: &[time::format_description::BorrowedFormatItem<'_>] =
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    t.format(AMZ_DATE).unwrap_or_default()
}

/// A `SystemTime` as whole seconds, rounded toward the past (so `now` never looks later than it is
/// by a fraction that would change a comparison made at whole seconds).
pub(crate) fn unix_seconds(t: SystemTime) -> UnixSeconds {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            if d.subsec_nanos() > 0 {
                -whole.saturating_add(1)
            } else {
                -whole
            }
        }
    }
}

/// The `SystemTime` of whole seconds since the epoch.
pub(crate) fn system_time(t: UnixSeconds) -> SystemTime {
    if t >= 0 {
        UNIX_EPOCH + Duration::from_secs(t.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(t.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trips() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(t, 1_440_938_160);
        assert_eq!(format_amz_date(t), "20150830T123600Z");
        assert_eq!(format_amz_date(0), "19700101T000000Z");
        assert_eq!(format_amz_date(-46_374_396_711), "05000615T070809Z");
        assert_eq!(format_amz_date(i64::MAX), "99991231T235959Z");
        assert_eq!(format_amz_date(i64::MIN), "-99990101T000000Z");
        assert_eq!(parse_amz_date("20000229T235959Z").map(format_amz_date).as_deref(), Some("20000229T235959Z"));
    }

    #[test]
    fn amz_date_rejects_malformed() {
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015083OT123600Z",
            "20150230T123600Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "20150830T123660Z",
            "20151330T123600Z",
            "+0150830T123600Z",
            "20150830T123600Zx",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_date_parses_imf_fixdate() {
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"), parse_amz_date("20150830T123600Z"));
        assert_eq!(parse_http_date("Sun, 30 Foo 2015 12:36:00 GMT"), None);
        assert_eq!(parse_http_date("Sunday, 30-Aug-15 12:36:00 GMT"), None);
    }

    #[test]
    fn unix_seconds_rounds_toward_the_past() {
        assert_eq!(unix_seconds(UNIX_EPOCH + Duration::from_millis(1500)), 1);
        assert_eq!(unix_seconds(UNIX_EPOCH - Duration::from_millis(1500)), -2);
        assert_eq!(unix_seconds(system_time(-5)), -5);
    }
}
