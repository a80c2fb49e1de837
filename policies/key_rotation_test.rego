package partnerctl.rules.key_rotation_test

import data.partnerctl.rules.key_rotation.warn
import rego.v1

key(id, created) := {"id": id, "environment": "production", "created": created, "secretRef": "vault://x"}

test_old_live_key_warns if {
	creds := [key("old", "2025-10-31"), key("new", "2026-10-01")]
	findings := warn with input as {"partners": {"acme": {"spec": {"credentials": creds}}}, "today": "2026-11-01"}
	count(findings) == 1
	some f in findings
	f.path == "/spec/credentials/0"
	f.resource == "partner/acme"
}

test_key_exactly_a_year_old_passes if {
	creds := [key("k", "2025-11-01")]
	count(warn) == 0 with input as {"partners": {"acme": {"spec": {"credentials": creds}}}, "today": "2026-11-01"}
}

test_revoked_old_key_passes if {
	creds := [object.union(key("k", "2024-01-01"), {"revoked": "2025-01-01"})]
	count(warn) == 0 with input as {"partners": {"acme": {"spec": {"credentials": creds}}}, "today": "2026-11-01"}
}

test_one_year_before if {
	data.partnerctl.lib.one_year_before("2026-11-01") == "2025-11-01"
	data.partnerctl.lib.one_year_before("2028-02-29") == "2027-02-29"
}
