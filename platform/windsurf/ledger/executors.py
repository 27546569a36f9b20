"""Payout executors: how an approved payout leaves the platform. Chapa's transfers API is the first.

A transfer is sent once, with the payout's id as its reference, and never retried here: a timeout leaves its
outcome unknown, and the job that follows every sent payout asks the provider until it is paid or failed.
Chapa answers "queued"; the payout carries the reference until its outcome is confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping

from windsurf.core.errors import ServiceError
from windsurf.core.i18n import N_
from windsurf.ledger.payouts import ExecutionResult, PayoutInstruction
from windsurf.payments.providers.base import ErrorCode, PaymentError
from windsurf.payments.providers.chapa import ChapaProvider, Transfer, local_phone

# Chapa's ids (from its GET /v1/banks) for our destination kinds and bank codes; deployments may pass their own.
CHAPA_BANK_CODES: Mapping[str, str] = {"telebirr": "855"}


class ChapaPayoutExecutor:
    def __init__(self, chapa: ChapaProvider, bank_codes: Mapping[str, str] = CHAPA_BANK_CODES) -> None:
        self.chapa = chapa
        self.bank_codes = bank_codes

    async def send(self, instruction: PayoutInstruction) -> ExecutionResult:
        destination = instruction.destination
        if destination.kind == "telebirr":
            account_number, bank_code = local_phone(destination.phone), self.bank_codes.get("telebirr", "")
            account_name = destination.account_name or destination.phone
        else:
            account_number, bank_code = destination.account_number, self.bank_codes.get(destination.bank, "")
            account_name = destination.account_name
        if not bank_code or not account_number:
            return ExecutionResult(sent=False, message=N_("This destination cannot be paid through Chapa."))
        transfer = Transfer(
            reference=str(instruction.payout_id),
            amount=instruction.amount,
            account_name=account_name,
            account_number=account_number,
            bank_code=bank_code,
            currency=instruction.currency,
        )
        try:
            result = await self.chapa.transfer(transfer)
        except PaymentError as exc:
            if exc.code is ErrorCode.PROVIDER_DECLINED:
                return ExecutionResult(sent=False, message=exc.detail or N_("The transfer failed."))
            # Timeouts and outages: the transfer may or may not exist; the job following it will find out.
            raise ServiceError(
                N_(
                    "The provider did not answer in time. The transfer is followed: the payout is marked paid or "
                    "failed when the provider confirms it."
                )
            ) from exc
        return ExecutionResult(sent=False, queued=True, reference=result.reference)
