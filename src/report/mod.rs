//! Reports: the onboarding funnel, the gateway audit and the Kong import (SPEC §3, §8).
