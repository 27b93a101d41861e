//! When a failed call is worth repeating, and after how long.
//!
//! GitHub asks clients to back off on server errors and to wait out rate limits:
//! `retry-after` for a secondary limit, `x-ratelimit-reset` once `x-ratelimit-remaining`
//! is 0 for the primary one. A 403 without either is a refusal (a missing permission),
//! never retried.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::client::ApiError;

/// How many times, and how patiently, a call is repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff; each next one doubles, with up to a quarter added at random.
    pub base: Duration,
    /// The longest wait accepted: a rate limit that resets later gives up at once.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base: Duration::from_secs(1),
            max_wait: Duration::from_secs(300),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Try again after this long.
    Retry(Duration),
    /// Stop: the error is final, or the budget is spent. The text says why when it is
    /// not the error itself (a spent budget, a rate limit too far away).
    Stop(Option<String>),
}

impl RetryPolicy {
    /// The default policy, with `XTASK_GITHUB_RETRY_ATTEMPTS` (at least 1) and
    /// `XTASK_GITHUB_RETRY_BASE_MS` applied when set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let mut policy = Self::default();
        if let Some(attempts) = lookup("XTASK_GITHUB_RETRY_ATTEMPTS")
            .and_then(|value| value.trim().parse::<u32>().ok())
            .filter(|attempts| *attempts >= 1)
        {
            policy.attempts = attempts;
        }
        if let Some(base) =
            lookup("XTASK_GITHUB_RETRY_BASE_MS").and_then(|value| value.trim().parse::<u64>().ok())
        {
            policy.base = Duration::from_millis(base);
        }
        policy
    }

    /// The decision after attempt number `attempt` (1-based) failed with `error`.
    pub(crate) fn decide(&self, attempt: u32, error: &ApiError) -> Decision {
        let wait = match error {
            ApiError::Transport { .. } => self.backoff(attempt),
            ApiError::Refused { .. } | ApiError::Redirect { .. } | ApiError::Unreadable { .. } => {
                return Decision::Stop(None);
            }
            ApiError::Status {
                status, rate_limit, ..
            } => match (status, rate_limit) {
                (_, Some(wait)) if *wait > self.max_wait => {
                    return Decision::Stop(Some(format!(
                        "GitHub's rate limit resets in {} s, later than the {} s this task \
                         waits: rerun after that",
                        wait.as_secs(),
                        self.max_wait.as_secs()
                    )));
                }
                (403 | 429, Some(wait)) => (*wait).max(self.backoff(attempt) / 4),
                (429, None) | (500..=599, _) => self.backoff(attempt),
                _ => return Decision::Stop(None),
            },
        };
        if attempt >= self.attempts {
            return Decision::Stop(Some(format!("gave up after {attempt} attempts")));
        }
        Decision::Retry(wait)
    }

    /// `base * 2^(attempt-1)`, plus up to a quarter of it so that clients that failed
    /// together do not come back together.
    fn backoff(&self, attempt: u32) -> Duration {
        let doubled = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |now| now.subsec_nanos());
        doubled + doubled.mul_f64(f64::from(nanos % 1000) / 4000.0)
    }
}

/// The wait a rate-limit answer asks for: `retry-after` seconds, else the time until
/// `x-ratelimit-reset` when `x-ratelimit-remaining` is 0. `None` when the answer is not
/// a rate limit.
pub fn rate_limit_wait(
    retry_after: Option<&str>,
    remaining: Option<&str>,
    reset: Option<&str>,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(seconds) = retry_after.and_then(|value| value.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds));
    }
    if remaining.map(str::trim) != Some("0") {
        return None;
    }
    let reset = reset?.trim().parse::<u64>().ok()?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    // GitHub's clock and ours differ a little: one more second than it says.
    Some(Duration::from_secs(reset.saturating_sub(now) + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Method;

    fn status(status: u16, rate_limit: Option<Duration>) -> ApiError {
        ApiError::Status {
            method: Method::Get,
            path: "/x".into(),
            status,
            message: "m".into(),
            documentation_url: None,
            rate_limit,
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            attempts: 3,
            base: Duration::from_millis(100),
            max_wait: Duration::from_secs(60),
        }
    }

    fn retried(decision: Decision) -> Duration {
        match decision {
            Decision::Retry(wait) => wait,
            Decision::Stop(why) => panic!("stopped: {why:?}"),
        }
    }

    #[test]
    fn server_errors_back_off_doubling_within_the_budget() {
        let first = retried(policy().decide(1, &status(502, None)));
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(125));
        let second = retried(policy().decide(2, &status(500, None)));
        assert!(second >= Duration::from_millis(200) && second <= Duration::from_millis(250));
        assert_eq!(
            policy().decide(3, &status(503, None)),
            Decision::Stop(Some("gave up after 3 attempts".into()))
        );
        let transport = ApiError::Transport {
            method: Method::Get,
            path: "/x".into(),
            message: "connection reset".into(),
        };
        retried(policy().decide(1, &transport));
        retried(policy().decide(1, &status(429, None)));
    }

    #[test]
    fn rate_limits_wait_as_long_as_github_asks() {
        let wait = retried(policy().decide(1, &status(403, Some(Duration::from_secs(2)))));
        assert_eq!(wait, Duration::from_secs(2));
        let wait = retried(policy().decide(1, &status(429, Some(Duration::ZERO))));
        assert!(wait >= Duration::from_millis(25), "{wait:?}");
        let Decision::Stop(Some(why)) =
            policy().decide(1, &status(403, Some(Duration::from_secs(3600))))
        else {
            panic!("a reset an hour away is not waited for");
        };
        assert!(why.contains("resets in 3600 s"), "{why}");
    }

    #[test]
    fn refusals_are_final() {
        for code in [400, 401, 403, 404, 422] {
            assert_eq!(
                policy().decide(1, &status(code, None)),
                Decision::Stop(None)
            );
        }
    }

    #[test]
    fn rate_limit_headers() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(
            rate_limit_wait(Some("7"), None, None, now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            rate_limit_wait(None, Some("0"), Some("1010"), now),
            Some(Duration::from_secs(11))
        );
        assert_eq!(
            rate_limit_wait(None, Some("0"), Some("900"), now),
            Some(Duration::from_secs(1))
        );
        assert_eq!(rate_limit_wait(None, Some("4999"), Some("1010"), now), None);
        assert_eq!(rate_limit_wait(None, None, None, now), None);
    }

    #[test]
    fn the_environment_sets_the_budget() {
        let policy = RetryPolicy::from_lookup(|name| match name {
            "XTASK_GITHUB_RETRY_ATTEMPTS" => Some("2".into()),
            "XTASK_GITHUB_RETRY_BASE_MS" => Some("5".into()),
            _ => None,
        });
        assert_eq!(policy.attempts, 2);
        assert_eq!(policy.base, Duration::from_millis(5));
        let ignored = RetryPolicy::from_lookup(|name| {
            (name == "XTASK_GITHUB_RETRY_ATTEMPTS").then(|| "0".into())
        });
        assert_eq!(ignored, RetryPolicy::default());
    }
}
