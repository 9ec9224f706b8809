//! The translation layer: Fluent message files embedded at compile time, zh-CN first.
//!
//! The language comes from the `lang` cookie, then `Accept-Language`, then zh-CN.

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // Unicode isolation marks around arguments would show up in plain-text exports.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static ZH: LazyLock<LanguageIdentifier> =
    LazyLock::new(|| "zh-CN".parse().expect("static language id"));
static EN: LazyLock<LanguageIdentifier> =
    LazyLock::new(|| "en".parse().expect("static language id"));

/// The UI languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The domain's language for the same reader (targets, explanations, labels).
    pub fn domain(self) -> qcity_domain::target::Lang {
        match self {
            Lang::ZhCn => qcity_domain::target::Lang::ZhCn,
            Lang::En => qcity_domain::target::Lang::En,
        }
    }

    pub fn from_code(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::ZhCn)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The first supported language in an `Accept-Language` header, by order of appearance.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(Lang::from_code)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::ZhCn => &ZH,
            Lang::En => &EN,
        }
    }

    /// The message for `key`; the key itself when it is missing (a test keeps that from happening).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.id(), key)
            .unwrap_or_else(|| key.to_string())
    }

    /// The message for `key` with named arguments.
    pub fn t_args(self, key: &str, args: &[(&str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), FluentValue::from(v.clone())))
            .collect();
        LOCALES
            .try_lookup_with_args(self.id(), key, &map)
            .unwrap_or_else(|| key.to_string())
    }
}

/// Message ids defined in a Fluent source (top-level `id = …` lines).
pub fn message_ids(ftl: &str) -> std::collections::BTreeSet<String> {
    ftl.lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once('='))
        .map(|(id, _)| id.trim().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every file under `dir` (recursively) whose name ends with `ext`: (path, text). The tests
    /// read the tree, so a module's new sources and message files are checked without a list.
    fn files(dir: &str, ext: &str) -> Vec<(String, String)> {
        fn walk(dir: &Path, ext: &str, out: &mut Vec<(String, String)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for p in paths {
                if p.is_dir() {
                    walk(&p, ext, out);
                } else if p.to_string_lossy().ends_with(ext) {
                    let text = std::fs::read_to_string(&p).expect("readable source");
                    out.push((p.display().to_string(), text));
                }
            }
        }
        let mut out = Vec::new();
        walk(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
            ext,
            &mut out,
        );
        assert!(!out.is_empty(), "no {ext} files under {dir}");
        out
    }

    /// All message files of a language, concatenated.
    fn ftl(lang: &str) -> String {
        files(&format!("locales/{lang}"), ".ftl")
            .into_iter()
            .map(|(_, text)| text + "\n")
            .collect()
    }

    #[test]
    fn no_message_is_defined_twice() {
        // Fluent refuses a resource that defines a message twice, at the first request.
        for name in ["zh-CN", "en"] {
            let ftl = ftl(name);
            let mut seen = std::collections::BTreeSet::new();
            for line in ftl.lines() {
                let Some((id, _)) = line.split_once('=') else {
                    continue;
                };
                let id = id.trim();
                if line.starts_with(|c: char| c.is_ascii_alphabetic()) && !seen.insert(id) {
                    panic!("{name}: `{id}` is defined twice");
                }
            }
        }
    }

    #[test]
    fn both_languages_define_the_same_keys() {
        let zh = message_ids(&ftl("zh-CN"));
        let en = message_ids(&ftl("en"));
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh-CN only: {only_zh:?}; en only: {only_en:?}"
        );
        assert!(zh.len() > 50, "suspiciously few messages: {}", zh.len());
    }

    #[test]
    fn lookups_differ_by_language_and_take_arguments() {
        assert_eq!(Lang::ZhCn.t("nav-home"), "首页");
        assert_eq!(Lang::En.t("nav-home"), "Home");
        let s = Lang::En.t_args("audit-total", &[("count", "3".into())]);
        assert!(s.contains('3'), "{s}");
        assert_eq!(
            Lang::from_accept_language("fr;q=0.9, en-US;q=0.8"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
    }

    #[test]
    fn every_key_used_in_code_and_templates_exists() {
        // Collect .t("…") / .t_args("…" uses across every source and template, the
        // navigation labels of every module, and the error keys the store hands up.
        let zh = message_ids(&ftl("zh-CN"));
        let mut missing = Vec::new();
        let sources = files("src", ".rs")
            .into_iter()
            .chain(files("templates", ".html"));
        for (path, src) in sources {
            for piece in src
                .split(".t(\"")
                .skip(1)
                .chain(src.split(".t_args(\"").skip(1))
            {
                if let Some(key) = piece.split('"').next()
                    && !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !zh.contains(key)
                {
                    missing.push(format!("{key} ({path})"));
                }
            }
        }
        for entry in crate::modules::MODULES.iter().flat_map(|m| m.nav) {
            if !zh.contains(entry.label) {
                missing.push(format!("{} (navigation)", entry.label));
            }
        }
        for (path, src) in files("../store/src", ".rs") {
            for piece in src.split("\"error-").skip(1) {
                let key = format!("error-{}", piece.split('"').next().unwrap_or_default());
                // Only whole keys: `error-obligation-{}` is a format string, not a key.
                let whole = key.len() > "error-".len()
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if whole && !zh.contains(&key) {
                    missing.push(format!("{key} ({path})"));
                }
            }
        }
        assert!(missing.is_empty(), "keys used but not defined: {missing:?}");
    }
}
