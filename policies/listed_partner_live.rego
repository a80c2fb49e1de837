# Rule listed-partner-live (warning): a partner in the public directory (`listed: true`) is
# one customers can actually use: `live`, or `production_requested` (announced while the
# production go-ahead is pending). A listed partner that is still onboarding, suspended or
# offboarded is taken out of the directory with `listed: false`.
package partnerctl.rules.listed_partner_live

import data.partnerctl.lib
import rego.v1

listable := {"live", "production_requested"}

warn contains finding if {
	some name, partner in input.partners
	partner.spec.listed == true
	not partner.spec.stage in listable
	finding := {
		"rule": "listed-partner-live",
		"msg": sprintf("%s is listed in the public partner directory but is %s; set `listed: false` until it is live", [name, partner.spec.stage]),
		"resource": lib.partner(name),
		"path": "/spec/listed",
	}
}
