# Rule approval-teams-on-github (warning): every team an approval rule needs has a `github`
# handle, or the CODEOWNERS file cannot route the review to it. With `owner` in a rule, the
# teams owning products, partners and terms need one too.
package partnerctl.rules.approval_teams_on_github

import rego.v1

named_teams contains team if {
	some rule in input.program.spec.approvals
	some team in rule.require
	team != "owner"
}

owner_teams contains team if {
	some rule in input.program.spec.approvals
	"owner" in rule.require
	some kind in ["products", "partners", "terms"]
	some doc in input[kind]
	team := doc.metadata.owner
}

warn contains finding if {
	some team in named_teams | owner_teams
	declared := input.program.spec.teams[team]
	not declared.github
	finding := {
		"rule": "approval-teams-on-github",
		"msg": sprintf("team %s approves changes but has no `github` handle, so CODEOWNERS cannot ask it for review", [team]),
		"resource": "program",
		"path": sprintf("/spec/teams/%s", [team]),
	}
}
