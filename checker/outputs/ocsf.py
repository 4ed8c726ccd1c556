"""`report --format ocsf`: the report's rows as findings of the Open Cybersecurity Schema Framework,
class Compliance Finding (class_uid 2003), one JSON object a line, for security tools (SIEMs, data
lakes) that read OCSF. Built and checked with py-ocsf-models, the models Prowler uses, so that a
finding the schema would refuse fails here rather than in the tool that reads it.

One finding per account and setting: the setting is the compliance control, its latest state the
status (Pass: off, fixed or not offered; Fail: on; Unknown: the check could not tell), the account
the resource, the tool the product. The machine that ran the check is the row's host when the
source says (merged documents), else this machine.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from checker import __version__
from checker.core.outcome import Outcome
from checker.outputs.fleet import Row

_PASS = frozenset({Outcome.COMPLIANT, Outcome.FIXED, Outcome.NOT_APPLICABLE})
_FAIL = frozenset({Outcome.NON_COMPLIANT, Outcome.WOULD_FIX, Outcome.FIX_FAILED})
STANDARD = "linkedin-ai-optout: LinkedIn data-use settings switched off"


def as_ocsf(rows: list[Row], titles: Mapping[str, str]) -> str:
    """The rows as OCSF Compliance Findings, one JSON object a line."""
    lines = [
        finding(row, titles.get(row.setting, row.setting)).model_dump_json(exclude_none=True) for row in rows
    ]
    return "".join(line + "\n" for line in lines)


def finding(row: Row, title: str):  # type: ignore[no-untyped-def]  # py-ocsf-models ships no types
    """One row as a ComplianceFinding model (validated as it is built)."""
    from py_ocsf_models.events.findings.activity_id import ActivityID
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
    from py_ocsf_models.events.findings.compliance_finding_type_id import ComplianceFindingTypeID
    from py_ocsf_models.events.findings.severity_id import SeverityID
    from py_ocsf_models.objects.compliance import Compliance
    from py_ocsf_models.objects.compliance_status import StatusID
    from py_ocsf_models.objects.finding_info import FindingInformation
    from py_ocsf_models.objects.metadata import Metadata
    from py_ocsf_models.objects.product import Product
    from py_ocsf_models.objects.resource_details import ResourceDetails

    outcome = Outcome(row.outcome)
    status = StatusID.Pass if outcome in _PASS else StatusID.Fail if outcome in _FAIL else StatusID.Unknown
    severity = {StatusID.Pass: SeverityID.Informational, StatusID.Fail: SeverityID.Medium}.get(
        status, SeverityID.Low
    )
    checked = datetime.fromisoformat(row.checked_at.replace("Z", "+00:00"))
    millis = int(checked.timestamp() * 1000)
    uid = hashlib.sha256(f"{row.account.casefold()}\n{row.setting}".encode()).hexdigest()[:32]
    product = Product(name="linkedin-ai-optout", vendor_name="linkedin-ai-optout", version=__version__)
    detail = row.last_error if status is StatusID.Unknown and row.last_error else None
    return ComplianceFinding(
        activity_id=ActivityID.Create,
        type_uid=ComplianceFindingTypeID.Create,
        severity_id=severity,
        time=millis,
        time_dt=checked,
        status_detail=row.outcome,
        message=f"{title}: {row.state} for {row.account} ({row.outcome})",
        metadata=Metadata(product=product, log_provider=row.host or socket.gethostname()),
        compliance=Compliance(control=row.setting, desc=title, standards=[STANDARD], status_id=status),
        finding_info=FindingInformation(
            uid=uid,
            title=f"{title} of {row.account}",
            desc=detail,
            created_time=millis,
            created_time_dt=checked,
        ),
        resources=[_account(ResourceDetails, row)],
    )


def _account(resource: Any, row: Row) -> Any:
    """The account as the finding's resource, with its label in the accounts file, if any."""
    labels = [row.label] if row.label else None
    return resource(name=row.account, uid=row.account, type="LinkedIn account", labels=labels)
