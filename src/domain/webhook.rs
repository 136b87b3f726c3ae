//! Webhooks as rules: which events a subscription receives, how a delivery
//! is signed (Standard Webhooks), when a failed one is tried again.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::structure::spelled_enum;

spelled_enum! {
    /// Where a delivery stands.
    DeliveryStatus {
        /// Waiting to be sent, or to be tried again.
        Pending => "pending",
        /// The receiver answered 2xx.
        Delivered => "delivered",
        /// Never to be sent: its subscription was disabled.
        Abandoned => "abandoned",
    }
}

/// The resource types of the change feed: an event is named
/// `<resource_type>.<action>` (`namnd.create`, `report.approve`).
pub const RESOURCE_TYPES: &[&str] = &[
    "action_plan",
    "assessment",
    "assignment",
    "assignment_status",
    "budget_line",
    "budget_line_values",
    "budget_table",
    "deadline",
    "dimension_mapping",
    "goal",
    "goal_area",
    "indicator",
    "indicator_comparisons",
    "indicator_overrides",
    "indicator_riktvarden",
    "indicator_values",
    "calendar_feed",
    "key_figure",
    "kolada_sync",
    "kommun",
    "namnd",
    "obligation",
    "obligation_rule",
    "period",
    "report",
    "report_section",
    "report_version",
    "volume_measure",
    "volume_measure_values",
    "webhook",
    "webhook_delivery",
];

/// The actions a change can have: CRUD, a collection replaced, the
/// workflow steps of reports (submit, approve, return, reopen) and periods
/// (close, reopen), and a deadline passing (`deadline.pass`).
pub const ACTIONS: &[&str] = &[
    "create", "update", "delete", "put", "submit", "approve", "return", "reopen", "close",
    "replay", "pass",
];

/// The process events, which no write of a user causes: announced by the
/// service's process scheduler once each, and carrying the event itself
/// (`data.detail`) since there is no resource to fetch.
pub const PROCESS_EVENTS: &[(&str, &str)] = &[("deadline", "pass"), ("obligation", "create")];

/// Whether the event of a change carries its detail (a process event).
pub fn carries_detail(resource_type: &str, action: &str) -> bool {
    PROCESS_EVENTS.contains(&(resource_type, action))
}

/// The most event types one subscription lists.
pub const MAX_EVENT_TYPES: usize = 100;

/// Why an event type is not one a subscription can name.
pub fn check_event_type(pattern: &str) -> Result<(), String> {
    if pattern == "*" {
        return Ok(());
    }
    let (resource, action) = match pattern.split_once('.') {
        Some((r, a)) => (r, Some(a)),
        None => (pattern, None),
    };
    if !RESOURCE_TYPES.contains(&resource) {
        return Err(format!(
            "{pattern:?} names no resource type of the change feed; use \"*\", a type \
             ({}) or a type and an action (\"report.approve\")",
            RESOURCE_TYPES.join(", ")
        ));
    }
    match action {
        Some(a) if !ACTIONS.contains(&a) => Err(format!(
            "{pattern:?}: {a:?} is not an action; actions are {}",
            ACTIONS.join(", ")
        )),
        _ => Ok(()),
    }
}

/// The name of the event a change makes.
pub fn event_type(resource_type: &str, action: &str) -> String {
    format!("{resource_type}.{action}")
}

/// Whether a subscription listing `patterns` receives the event of a
/// change: `*` every event, `namnd` every action on nämnder,
/// `report.approve` only that step.
pub fn subscribes(patterns: &[String], resource_type: &str, action: &str) -> bool {
    patterns.iter().any(|p| match p.split_once('.') {
        _ if p == "*" => true,
        Some((r, a)) => r == resource_type && a == action,
        None => p == resource_type,
    })
}

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A secret as given to the subscriber: `whsec_` and the key in base64.
pub fn format_secret(key: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key of a secret, which must be `whsec_` and 24–64 bytes in base64.
pub fn parse_secret(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .strip_prefix(SECRET_PREFIX)
        .ok_or_else(|| format!("must start with {SECRET_PREFIX}"))?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| format!("after {SECRET_PREFIX} must come base64"))?;
    if !(24..=64).contains(&key.len()) {
        return Err("the key must be 24–64 bytes (32–88 base64 characters)".into());
    }
    Ok(key)
}

/// The `webhook-signature` of a delivery: `v1,` and the base64 HMAC-SHA256
/// of `{id}.{timestamp}.{body}` under the secret's key.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// How long to wait before attempt `attempts + 1` after `attempts` failed
/// ones: `base`, doubled per failure, at most `max`.
pub fn backoff(attempts: u32, base_ms: u64, max_ms: u64) -> u64 {
    let doublings = attempts.saturating_sub(1).min(40);
    base_ms.saturating_mul(1u64 << doublings).min(max_ms)
}

/// Whether `ip` is an address of the public internet. A webhook is sent
/// only there unless the deployment allows private targets: otherwise a
/// kommun's integration could make the service post to its own loopback,
/// the cloud's metadata service (169.254.169.254) or the machines of its
/// private network (server-side request forgery).
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    fn v4(ip: Ipv4Addr) -> bool {
        let [a, b, c, _] = ip.octets();
        !(ip.is_unspecified()
            || ip.is_loopback()
            || ip.is_private()
            || ip.is_link_local()
            || ip.is_broadcast()
            || ip.is_documentation()
            || ip.is_multicast()
            || a == 0
            || a >= 240
            // Shared address space (carrier-grade NAT), 100.64.0.0/10.
            || (a == 100 && (64..128).contains(&b))
            // IETF protocol assignments, 192.0.0.0/24.
            || (a == 192 && b == 0 && c == 0)
            // Benchmarking, 198.18.0.0/15.
            || (a == 198 && (b == 18 || b == 19)))
    }
    fn v6(ip: Ipv6Addr) -> bool {
        if let Some(mapped) = ip.to_ipv4_mapped() {
            return v4(mapped);
        }
        let first = ip.segments()[0];
        !(ip.is_unspecified()
            || ip.is_loopback()
            || ip.is_multicast()
            // Unique local fc00::/7, link-local fe80::/10.
            || (first & 0xfe00) == 0xfc00
            || (first & 0xffc0) == 0xfe80
            // Documentation 2001:db8::/32.
            || (first == 0x2001 && ip.segments()[1] == 0x0db8)
            // IPv4-compatible (deprecated) and NAT64 64:ff9b::/96 carry an
            // IPv4 address that may be private.
            || ip.segments()[..6] == [0; 6]
            || ip.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0])
    }
    match ip {
        IpAddr::V4(ip) => v4(ip),
        IpAddr::V6(ip) => v6(ip),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let key = parse_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_whsec_and_base64() {
        let key = [7u8; 32];
        assert_eq!(parse_secret(&format_secret(&key)).unwrap(), key);
        assert!(parse_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(parse_secret("whsec_!!!").is_err());
        assert!(parse_secret("whsec_AAAA").is_err());
    }

    #[test]
    fn event_types_name_the_feed() {
        let patterns = vec!["namnd".to_string(), "report.approve".to_string()];
        assert!(subscribes(&patterns, "namnd", "delete"));
        assert!(subscribes(&patterns, "report", "approve"));
        assert!(!subscribes(&patterns, "report", "submit"));
        assert!(subscribes(&["*".to_string()], "goal", "create"));
        assert!(check_event_type("report.approve").is_ok());
        assert!(check_event_type("*").is_ok());
        assert!(check_event_type("reports").is_err());
        assert!(check_event_type("report.publish").is_err());
    }

    #[test]
    fn backoff_doubles_to_its_ceiling() {
        assert_eq!(backoff(1, 1000, 60_000), 1000);
        assert_eq!(backoff(2, 1000, 60_000), 2000);
        assert_eq!(backoff(4, 1000, 60_000), 8000);
        assert_eq!(backoff(30, 1000, 60_000), 60_000);
        assert_eq!(backoff(u32::MAX, u64::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn only_public_addresses_are_public() {
        let public = [
            "93.184.215.14",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ];
        let private = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ];
        for ip in public {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in private {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        // Next to the private ranges, public.
        for ip in ["172.32.0.1", "100.128.0.1", "11.0.0.1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
