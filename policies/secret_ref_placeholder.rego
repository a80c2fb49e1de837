# Rule secret-ref-placeholder (warning): a live credential's secretRef still points at a
# placeholder (`vault://TODO/...`, as `partnerctl import` writes it). The gateway cannot find
# the key until someone records where it really lives.
package partnerctl.rules.secret_ref_placeholder

import data.partnerctl.lib
import rego.v1

warn contains finding if {
	some name, partner in input.partners
	some i, c in partner.spec.credentials
	# A plain substring test first: the regex then runs only on the few candidates, not on
	# every credential of the program (it is the costly part on 10,000 partners).
	contains(lower(c.secretRef), "://todo")
	regex.match(`(?i)^[a-z][a-z0-9+.-]*://todo(/|$)`, c.secretRef)
	lib.live_credential(c)
	finding := {
		"rule": "secret-ref-placeholder",
		"msg": sprintf("credential %s of %s has the placeholder secretRef %s; set it to where the key really lives", [c.id, name, c.secretRef]),
		"resource": lib.partner(name),
		"path": sprintf("/spec/credentials/%d/secretRef", [i]),
	}
}
