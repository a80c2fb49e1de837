package partnerctl.rules.listed_partner_live_test

import data.partnerctl.rules.listed_partner_live.warn
import rego.v1

test_listed_suspended_partner_warns if {
	partners := {
		"acme": {"spec": {"listed": true, "stage": "suspended"}},
		"kiwi": {"spec": {"listed": true, "stage": "live"}},
		"fjord": {"spec": {"listed": false, "stage": "sandbox"}},
	}
	findings := warn with input as {"partners": partners, "today": "2026-11-01"}
	count(findings) == 1
	some f in findings
	f.resource == "partner/acme"
	f.path == "/spec/listed"
}

test_listed_live_and_requested_partners_pass if {
	partners := {
		"acme": {"spec": {"listed": true, "stage": "production_requested"}},
		"kiwi": {"spec": {"listed": true, "stage": "live"}},
		"fjord": {"spec": {"stage": "sandbox"}},
	}
	count(warn) == 0 with input as {"partners": partners, "today": "2026-11-01"}
}
