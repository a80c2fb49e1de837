# Rule production-quota (warning): a plan offered in production carries a quota, so that no
# production subscriber can call without a daily or monthly ceiling.
package partnerctl.rules.production_quota

import data.partnerctl.lib
import rego.v1

warn contains finding if {
	some name, product in input.products
	some i, plan in product.spec.plans
	"production" in plan.environments
	not plan.quota
	finding := {
		"rule": "production-quota",
		"msg": sprintf("plan %s of %s is offered in production without a quota; add `quota: {requests: N, per: day|month}`", [plan.name, name]),
		"resource": lib.product(name),
		"path": sprintf("/spec/plans/%d", [i]),
	}
}
