package partnerctl.rules.approval_teams_on_github_test

import data.partnerctl.rules.approval_teams_on_github.warn
import rego.v1

program(teams) := {"spec": {
	"teams": teams,
	"approvals": [
		{"on": ["terms-published"], "require": ["legal"]},
		{"on": ["production-access"], "require": ["owner"]},
	],
}}

test_team_without_handle_warns if {
	teams := {"legal": {}, "shipments-team": {"github": "@n/shipments"}, "unused": {}}
	products := {"shipments": {"metadata": {"owner": "shipments-team"}}}
	partners := {"acme": {"metadata": {"owner": "partnerships"}}}
	findings := warn with input as {"program": program(teams), "products": products, "partners": partners, "terms": {}, "today": "2026-11-01"}
	count(findings) == 1
	some f in findings
	f.resource == "program"
	f.path == "/spec/teams/legal"
}

test_owner_team_without_handle_warns if {
	teams := {"legal": {"github": "@n/legal"}, "shipments-team": {}}
	products := {"shipments": {"metadata": {"owner": "shipments-team"}}}
	findings := warn with input as {"program": program(teams), "products": products, "partners": {}, "terms": {}, "today": "2026-11-01"}
	count(findings) == 1
}

test_all_handles_pass if {
	teams := {"legal": {"github": "@n/legal"}, "shipments-team": {"github": "@n/shipments"}}
	products := {"shipments": {"metadata": {"owner": "shipments-team"}}}
	count(warn) == 0 with input as {"program": program(teams), "products": products, "partners": {}, "terms": {}, "today": "2026-11-01"}
}
