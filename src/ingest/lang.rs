//! Language of an article: detected from its text (whatlang), or the language its source declares
//! when the text is too short to tell.

use whatlang::Lang as Detected;

use crate::model::Lang;

/// ISO 639-1 code for each language whatlang detects (whatlang speaks ISO 639-3).
fn iso_639_1(lang: Detected) -> &'static str {
    use Detected::*;
    match lang {
        Epo => "eo",
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Cym => "cy",
    }
}

/// whatlang's language as an ISO 639-1 code (every code in the table is one).
fn detected(lang: Detected) -> Lang {
    Lang::parse(iso_639_1(lang)).unwrap_or_else(Lang::undetermined)
}

/// The language of `text` (title and body): whatlang's answer when it is reliable, else the
/// `declared` language (a feed's `<language>`, a page's `<html lang>`), else whatlang's best guess
/// when the text has enough letters to guess from, else [`Lang::UNDETERMINED`].
pub fn detect(text: &str, declared: Option<&str>) -> Lang {
    // The first few thousand characters decide; the rest only costs time.
    let sample = match text.char_indices().nth(4000) {
        Some((end, _)) => &text[..end],
        None => text,
    };
    let info = whatlang::detect(sample);
    if let Some(info) = info.as_ref().filter(|info| info.is_reliable()) {
        return detected(info.lang());
    }
    if let Some(declared) = declared.and_then(Lang::parse) {
        return declared;
    }
    match info {
        Some(info) if sample.chars().filter(|c| c.is_alphabetic()).count() >= 40 => detected(info.lang()),
        _ => Lang::undetermined(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_news_languages() {
        let cases = [
            ("The government announced on Tuesday that the new budget would cut spending on defence.", "en"),
            ("Die Bundesregierung hat am Dienstag angekündigt, dass der neue Haushalt die Ausgaben kürzt.", "de"),
            ("O candidato do PSL a presidente não tem o mesmo desempenho nas simulações de segundo turno.", "pt"),
            ("Правительство объявило во вторник, что новый бюджет сократит расходы на оборону.", "ru"),
        ];
        for (text, expected) in cases {
            assert_eq!(detect(text, None).as_str(), expected, "{text}");
        }
    }

    #[test]
    fn short_text_falls_back_to_the_declared_language() {
        assert_eq!(detect("Heise", Some("de-DE")).as_str(), "de");
        assert!(detect("OK", None).is_undetermined());
    }
}
