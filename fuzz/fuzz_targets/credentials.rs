//! API keys and tenant tokens as presented in `Authorization`: unknown, forged or edited keys and
//! tokens are a 401, a token's filter claim is read like a key's, and whatever scope a token
//! carries restricts a search without a 5xx.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tidings::access::{mint_token, Action, Actions, Keyring, NewKey, TokenClaims};
use tidings::search::request::SearchRequest;
use tidings::search::scope::Scope;
use tidings_fuzz::{archive, choice_and_rest, client_result, text};

const SEARCH_KEY: &str = "site-search-key-0123456789";
const WRITE_KEY: &str = "writer-key-0123456789";
/// Now, for the keyring (tokens expire after it).
const NOW: i64 = 1_800_000_000;

fn keyring() -> &'static Keyring {
    static KEYRING: OnceLock<Keyring> = OnceLock::new();
    KEYRING.get_or_init(|| {
        let site = NewKey {
            name: "site".into(),
            key: SEARCH_KEY.into(),
            actions: Actions::of(&[Action::Search]),
            scope: Scope::everything(),
            expires_at: None,
        };
        let writer = NewKey {
            name: "writer".into(),
            key: WRITE_KEY.into(),
            actions: Actions::of(&[Action::Write]),
            scope: Scope::everything(),
            expires_at: Some(NOW + 60),
        };
        Keyring::new(&[site, writer], Vec::new()).expect("a keyring")
    })
}

fuzz_target!(|data: &[u8]| {
    let (choice, rest) = choice_and_rest(data);
    let keyring = keyring();
    match choice % 3 {
        0 => {
            // A presented key or token, as sent.
            let presented = text(rest);
            let grant = client_result("authenticate", &presented, keyring.authenticate(&presented, NOW));
            assert!(grant.is_none() || presented == SEARCH_KEY || presented == WRITE_KEY, "{presented:?} was accepted");
        }
        1 => {
            // A token minted with whatever filter claim: accepted exactly when the filter reads as a
            // key's filter does, and its scope then restricts a search.
            let Ok(filter) = serde_json::from_slice::<serde_json::Value>(rest) else { return };
            let claims = TokenClaims { filter: Some(filter.clone()), exp: NOW + 1 };
            let token = mint_token(SEARCH_KEY, &claims).expect("a token");
            let grant = client_result("authenticate a token", &filter, keyring.authenticate(&token, NOW));
            // A null filter claim reads as no claim: the key's own scope.
            let scope = if filter.is_null() {
                Some(Scope::everything())
            } else {
                client_result("scope", &filter, Scope::from_json(&filter))
            };
            assert_eq!(grant.is_some(), scope.is_some(), "{filter}: token and scope disagree");
            if let Some(grant) = grant {
                let mut request = SearchRequest { q: "oil".into(), ..Default::default() };
                grant.scope.restrict(&mut request);
                client_result("a scoped search", &filter, archive().service.engine().search(&request));
            }
        }
        _ => {
            // A real token with bytes of it replaced: never a grant wider than the token's own.
            let claims = TokenClaims { filter: Some(serde_json::json!({"source": "Example Daily"})), exp: NOW + 1 };
            let token = mint_token(SEARCH_KEY, &claims).expect("a token");
            let mut edited = token.clone().into_bytes();
            for (at, byte) in rest.chunks(2).filter_map(|pair| Some((pair[0] as usize, *pair.get(1)?))) {
                if let Some(slot) = edited.get_mut(at % token.len()) {
                    *slot = byte;
                }
            }
            let edited = text(&edited);
            if let Some(grant) = client_result("an edited token", &edited, keyring.authenticate(&edited, NOW)) {
                assert_eq!(grant.scope.to_json(), serde_json::json!({"source": ["Example Daily"]}), "{edited:?}");
                assert!(!grant.actions.allow(Action::Write), "{edited:?}");
            }
        }
    }
});
