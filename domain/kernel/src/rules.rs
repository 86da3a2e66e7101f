//! Shared validators: names and text, email addresses, Mexican tax identifiers, phone
//! numbers, country, currency, locale and time zone codes, tags and money amounts.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::{Error, Result};

/// A normalised (trimmed, lower-case) email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str, field: &'static str) -> Result<Self> {
        let email = raw.trim().to_lowercase();
        let invalid = || {
            Error::invalid(
                field,
                format!("'{}' is not a valid email address", raw.trim()),
            )
        };
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let well_formed = !local.is_empty()
            && local.len() <= 64
            && email.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if well_formed {
            Ok(Self(email))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A required, trimmed, bounded piece of text such as a name.
pub fn required_text(raw: &str, field: &'static str, max: usize) -> Result<String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Error::invalid(field, format!("{field} is required")));
    }
    if text.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{field} can be at most {max} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Regional settings of a tenant, validated for shape.
pub fn country_code(raw: &str) -> Result<String> {
    let code = raw.trim().to_uppercase();
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Error::invalid(
            "country",
            "country must be an ISO 3166-1 alpha-2 code such as MX",
        ))
    }
}

pub fn currency_code(raw: &str) -> Result<String> {
    let code = raw.trim().to_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Error::invalid(
            "currency",
            "currency must be an ISO 4217 code such as MXN",
        ))
    }
}

pub fn locale_tag(raw: &str) -> Result<String> {
    let tag = raw.trim();
    let mut parts = tag.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_lowercase()));
    let region_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if language_ok && region_ok {
        Ok(tag.to_owned())
    } else {
        Err(Error::invalid(
            "locale",
            "locale must be a BCP 47 tag such as es-MX",
        ))
    }
}

pub fn timezone_name(raw: &str) -> Result<String> {
    let tz = raw.trim();
    let valid = tz == "UTC"
        || (tz.contains('/')
            && tz.len() <= 64
            && tz
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+')));
    if valid {
        Ok(tz.to_owned())
    } else {
        Err(Error::invalid(
            "timezone",
            "timezone must be an IANA name such as America/Mexico_City",
        ))
    }
}

/// A normalised email, or none for blank input.
pub fn optional_email(raw: Option<&str>, field: &'static str) -> Result<Option<String>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Ok(Some(EmailAddress::parse(s, field)?.as_str().to_owned())),
    }
}

/// Optional free text: trimmed, bounded, none when blank.
pub fn optional_text(raw: Option<&str>, field: &'static str, max: usize) -> Result<Option<String>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.chars().count() > max => Err(Error::invalid(
            field,
            format!("{field} can be at most {max} characters"),
        )),
        Some(s) => Ok(Some(s.to_owned())),
    }
}

/// The calling code of the countries whose national numbers are accepted without a `+`.
fn calling_code(country: &str) -> Option<&'static str> {
    Some(match country {
        "MX" => "52",
        "US" | "CA" => "1",
        "GT" => "502",
        "SV" => "503",
        "HN" => "504",
        "NI" => "505",
        "CR" => "506",
        "PA" => "507",
        "PE" => "51",
        "AR" => "54",
        "BR" => "55",
        "CL" => "56",
        "CO" => "57",
        "VE" => "58",
        "BO" => "591",
        "EC" => "593",
        "PY" => "595",
        "UY" => "598",
        "DO" => "1",
        "ES" => "34",
        _ => return None,
    })
}

/// Normalises a phone number to E.164 (`+525512345678`). A number without `+` or `00` is
/// read as national in `country` (the tenant's). Mexican numbers drop the retired mobile
/// prefixes (`044`, `045`, the `1` after `+52`), so one line has one spelling.
pub fn phone_e164(raw: &str, country: &str, field: &'static str) -> Result<String> {
    let invalid = || {
        Error::invalid(
            field,
            format!("'{}' is not a valid phone number", raw.trim()),
        )
    };
    let trimmed = raw.trim();
    if trimmed
        .chars()
        .any(|c| !(c.is_ascii_digit() || " +-.()/".contains(c)))
    {
        return Err(invalid());
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let international = if trimmed.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else {
        let code = calling_code(country).ok_or_else(invalid)?;
        let national = if country == "MX" {
            digits
                .strip_prefix("044")
                .or_else(|| digits.strip_prefix("045"))
                .unwrap_or(&digits)
        } else {
            digits.trim_start_matches('0')
        };
        format!("{code}{national}")
    };
    let international = match international.strip_prefix("521") {
        Some(rest) if rest.len() == 10 => format!("52{rest}"),
        _ => international,
    };
    let valid = if let Some(national) = international.strip_prefix("52") {
        national.len() == 10
    } else {
        (8..=15).contains(&international.len()) && !international.starts_with('0')
    };
    if valid {
        Ok(format!("+{international}"))
    } else {
        Err(invalid())
    }
}

/// A Mexican RFC: 4 letters (people) or 3 (companies), a valid YYMMDD date and a
/// three-character homoclave. The check digit is not verified: SAT has issued RFCs whose
/// last character does not follow the published algorithm, and it is SAT's list, checked
/// by the PAC when stamping, that decides.
pub fn rfc(raw: &str, field: &'static str) -> Result<String> {
    let value = raw.trim().to_uppercase();
    let invalid = || {
        Error::invalid(
            field,
            format!(
                "'{}' is not a valid RFC (e.g. XAXX010101000 or EKU9003173C9)",
                raw.trim()
            ),
        )
    };
    let chars: Vec<char> = value.chars().collect();
    let letters = match chars.len() {
        12 => 3,
        13 => 4,
        _ => return Err(invalid()),
    };
    let name_ok = chars[..letters]
        .iter()
        .all(|c| c.is_ascii_uppercase() || *c == 'Ñ' || *c == '&');
    let date: String = chars[letters..letters + 6].iter().collect();
    let date_ok = date.chars().all(|c| c.is_ascii_digit())
        && chrono::NaiveDate::parse_from_str(&format!("20{date}"), "%Y%m%d").is_ok();
    let homoclave_ok = chars[letters + 6..]
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if name_ok && date_ok && homoclave_ok {
        Ok(value)
    } else {
        Err(invalid())
    }
}

/// SAT's catalogue c_RegimenFiscal (CFDI 4.0).
pub const TAX_REGIMES: &[(&str, &str)] = &[
    ("601", "General de Ley Personas Morales"),
    ("603", "Personas Morales con Fines no Lucrativos"),
    ("605", "Sueldos y Salarios e Ingresos Asimilados a Salarios"),
    ("606", "Arrendamiento"),
    ("607", "Régimen de Enajenación o Adquisición de Bienes"),
    ("608", "Demás ingresos"),
    (
        "610",
        "Residentes en el Extranjero sin Establecimiento Permanente en México",
    ),
    ("611", "Ingresos por Dividendos (socios y accionistas)"),
    (
        "612",
        "Personas Físicas con Actividades Empresariales y Profesionales",
    ),
    ("614", "Ingresos por intereses"),
    ("615", "Régimen de los ingresos por obtención de premios"),
    ("616", "Sin obligaciones fiscales"),
    (
        "620",
        "Sociedades Cooperativas de Producción que optan por diferir sus ingresos",
    ),
    ("621", "Incorporación Fiscal"),
    (
        "622",
        "Actividades Agrícolas, Ganaderas, Silvícolas y Pesqueras",
    ),
    ("623", "Opcional para Grupos de Sociedades"),
    ("624", "Coordinados"),
    (
        "625",
        "Régimen de las Actividades Empresariales con ingresos a través de Plataformas Tecnológicas",
    ),
    ("626", "Régimen Simplificado de Confianza"),
];

pub fn tax_regime(raw: &str, field: &'static str) -> Result<String> {
    let code = raw.trim();
    if TAX_REGIMES.iter().any(|(c, _)| *c == code) {
        Ok(code.to_owned())
    } else {
        Err(Error::invalid(
            field,
            format!("'{code}' is not a SAT tax regime (c_RegimenFiscal), e.g. 601 or 626"),
        ))
    }
}

pub fn postal_code(raw: &str, field: &'static str) -> Result<String> {
    let code = raw.trim();
    if code.len() == 5 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_owned())
    } else {
        Err(Error::invalid(
            field,
            format!("'{code}' is not a Mexican postal code (5 digits)"),
        ))
    }
}

const MAX_TAGS: usize = 30;

/// Tags: trimmed, lower-case, unique, in the order given.
pub fn tags(raw: &[String], field: &'static str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for tag in raw {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 40 {
            return Err(Error::invalid(
                field,
                "tags must be 1 to 40 characters long",
            ));
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(Error::invalid(field, format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

/// How many decimals the currency's minor unit has (ISO 4217).
pub fn currency_exponent(currency: &str) -> u32 {
    match currency {
        "CLP" | "PYG" | "JPY" | "KRW" | "ISK" | "UYI" => 0,
        _ => 2,
    }
}

/// SAT and this service round half away from zero (0.125 → 0.13).
pub fn round_money(value: Decimal, exponent: u32) -> Decimal {
    value.round_dp_with_strategy(exponent, RoundingStrategy::MidpointAwayFromZero)
}

/// An amount given by a client, as minor units: non-negative and with no more decimals
/// than the currency has.
pub fn money_minor(value: Decimal, currency: &str, field: &'static str) -> Result<i64> {
    let exponent = currency_exponent(currency);
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Error::invalid(field, format!("{field} cannot be negative")));
    }
    if value.normalize().scale() > exponent {
        return Err(Error::invalid(
            field,
            format!("{currency} amounts have at most {exponent} decimals"),
        ));
    }
    to_minor(value, exponent).ok_or_else(|| Error::invalid(field, format!("{field} is too large")))
}

/// An exact amount in minor units, once rounded to the currency.
pub fn to_minor(value: Decimal, exponent: u32) -> Option<i64> {
    let scaled = round_money(value, exponent) * Decimal::from(10_i64.pow(exponent));
    i64::try_from(scaled.trunc()).ok()
}

pub fn from_minor(minor: i64, currency: &str) -> Decimal {
    Decimal::new(minor, currency_exponent(currency))
}

/// The tags stored as a JSON array.
pub fn tags_of(json: &serde_json::Value) -> Vec<String> {
    json.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_become_e164() {
        for (raw, expected) in [
            ("55 1234 5678", "+525512345678"),
            ("(55) 1234-5678", "+525512345678"),
            ("044 55 1234 5678", "+525512345678"),
            ("+52 1 55 1234 5678", "+525512345678"),
            ("+52 55 1234 5678", "+525512345678"),
            ("0052 55 1234 5678", "+525512345678"),
            ("+1 415 555 2671", "+14155552671"),
        ] {
            assert_eq!(phone_e164(raw, "MX", "phone").expect(raw), expected);
        }
        assert_eq!(
            phone_e164("300 123 4567", "CO", "phone").expect("co"),
            "+573001234567"
        );
        for bad in ["12345", "55 1234 567", "call me", "+52 55 1234 56789", ""] {
            assert!(phone_e164(bad, "MX", "phone").is_err(), "{bad}");
        }
    }

    #[test]
    fn rfcs_of_people_and_companies() {
        assert_eq!(rfc(" eku9003173c9 ", "rfc").expect("moral"), "EKU9003173C9");
        assert_eq!(
            rfc("XAXX010101000", "rfc").expect("generic"),
            "XAXX010101000"
        );
        assert_eq!(rfc("ÑAXX010101A12", "rfc").expect("ñ"), "ÑAXX010101A12");
        for bad in [
            "EKU9013173C9",
            "EKU900317",
            "1234567890123",
            "EKU9002303C9",
            "EK-9003173C9",
        ] {
            assert!(rfc(bad, "rfc").is_err(), "{bad}");
        }
    }

    #[test]
    fn tags_are_trimmed_lowercased_and_unique() {
        let given = ["VIP".to_owned(), " vip ".to_owned(), "Mayoreo".to_owned()];
        assert_eq!(tags(&given, "tags").expect("tags"), ["vip", "mayoreo"]);
        assert!(tags(&[" ".to_owned()], "tags").is_err());
    }

    #[test]
    fn money_is_exact_in_minor_units() {
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        assert_eq!(
            money_minor(d("1234.50"), "MXN", "value").expect("ok"),
            123_450
        );
        assert_eq!(money_minor(d("1000"), "CLP", "value").expect("ok"), 1000);
        assert!(money_minor(d("1.005"), "MXN", "value").is_err());
        assert!(money_minor(d("-1"), "MXN", "value").is_err());
        assert!(money_minor(d("10.5"), "CLP", "value").is_err());
        assert_eq!(round_money(d("0.125"), 2), d("0.13"));
        assert_eq!(round_money(d("-0.125"), 2), d("-0.13"));
        assert_eq!(from_minor(123_450, "MXN").to_string(), "1234.50");
    }

    #[test]
    fn postal_codes_and_regimes() {
        assert!(postal_code("06600", "p").is_ok());
        assert!(postal_code("6600", "p").is_err());
        assert!(tax_regime("601", "r").is_ok());
        assert!(tax_regime("600", "r").is_err());
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = EmailAddress::parse("  Ana.Lopez@Example.MX ", "email").expect("valid");
        assert_eq!(email.as_str(), "ana.lopez@example.mx");
    }

    #[test]
    fn regional_settings_are_checked() {
        assert_eq!(country_code("mx").expect("valid"), "MX");
        assert!(currency_code("pesos").is_err());
        assert!(locale_tag("es-MX").is_ok());
        assert!(locale_tag("spanish!").is_err());
        assert!(timezone_name("America/Mexico_City").is_ok());
        assert!(timezone_name("mexico").is_err());
    }

    #[test]
    fn malformed_emails_are_refused_naming_the_field() {
        for raw in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a na@example.com",
            "ana@@x.com",
        ] {
            match EmailAddress::parse(raw, "email") {
                Err(Error::Invalid { field, .. }) => assert_eq!(field, "email"),
                other => panic!("{raw:?} gave {other:?}"),
            }
        }
    }
}
