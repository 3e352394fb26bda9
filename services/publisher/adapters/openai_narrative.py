"""The narrative drafted by OpenAI or Azure OpenAI, through the official `openai` SDK (chat completions).

Configured by environment (configuration.md): LEAF_OPENAI_MODEL with LEAF_OPENAI_API_KEY (and LEAF_OPENAI_BASE_URL
for a compatible endpoint), or LEAF_AZURE_OPENAI_ENDPOINT with LEAF_AZURE_OPENAI_DEPLOYMENT (an API key, or else the
workload's managed identity). Neither set: no provider, the template narrative. The SDK owns the timeout and the
bounded retries (429 honouring Retry-After, 5xx and connection errors with backoff); every failure it finally
raises becomes NarrativeUnavailable with a short reason, so a model can delay a publication but never stop it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, model_validator

from runtime.settings import LeafSettings
from services.publisher.domain.narrative import Draft, NarrativePrompt, NarrativeUnavailable

if TYPE_CHECKING:
    import openai

AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
MAX_COMPLETION_TOKENS = 800   # two short paragraphs; a longer answer is cut and refused as incomplete


class NarrativeSettings(LeafSettings):
    LEAF_OPENAI_BASE_URL: str | None = None        # unset: the SDK's default, api.openai.com
    LEAF_OPENAI_API_KEY: SecretStr | None = None
    LEAF_OPENAI_MODEL: str | None = None
    LEAF_AZURE_OPENAI_ENDPOINT: str | None = None  # https://<resource>.openai.azure.com
    LEAF_AZURE_OPENAI_DEPLOYMENT: str | None = None
    LEAF_AZURE_OPENAI_API_VERSION: str = "2024-10-21"
    LEAF_AZURE_OPENAI_API_KEY: SecretStr | None = None   # unset: managed identity (azure-identity)
    LEAF_NARRATIVE_TIMEOUT_SECONDS: float = Field(30.0, gt=0)
    LEAF_NARRATIVE_MAX_RETRIES: int = Field(2, ge=0, le=5)

    @model_validator(mode="after")
    def _one_whole_lane(self):
        openai_lane = self.LEAF_OPENAI_MODEL or self.LEAF_OPENAI_API_KEY or self.LEAF_OPENAI_BASE_URL
        azure_lane = self.LEAF_AZURE_OPENAI_ENDPOINT or self.LEAF_AZURE_OPENAI_DEPLOYMENT or self.LEAF_AZURE_OPENAI_API_KEY
        if openai_lane and azure_lane:
            raise ValueError("set either LEAF_OPENAI_* or LEAF_AZURE_OPENAI_* for the narrative, not both")
        if openai_lane and not (self.LEAF_OPENAI_MODEL and self.LEAF_OPENAI_API_KEY):
            raise ValueError("an OpenAI narrative needs LEAF_OPENAI_MODEL and LEAF_OPENAI_API_KEY")
        if azure_lane and not (self.LEAF_AZURE_OPENAI_ENDPOINT and self.LEAF_AZURE_OPENAI_DEPLOYMENT):
            raise ValueError("an Azure OpenAI narrative needs LEAF_AZURE_OPENAI_ENDPOINT and LEAF_AZURE_OPENAI_DEPLOYMENT")
        url = self.LEAF_OPENAI_BASE_URL or self.LEAF_AZURE_OPENAI_ENDPOINT
        if self.production and url and not url.startswith("https://"):
            raise ValueError("LEAF_ENV=prod sends the narrative prompt over HTTPS only")
        return self


class OpenAINarrative:
    """A NarrativeProvider on a configured `openai.OpenAI` or `openai.AzureOpenAI` client."""

    def __init__(self, client: openai.OpenAI, model: str) -> None:
        self._client, self.model = client, model

    def draft(self, prompt: NarrativePrompt) -> Draft:
        import openai

        try:
            response = self._client.chat.completions.create(
                model=self.model, temperature=0, max_completion_tokens=MAX_COMPLETION_TOKENS,
                messages=[{"role": role, "content": content} for role, content in prompt.messages])  # type: ignore[misc]
        except openai.APITimeoutError:
            raise NarrativeUnavailable("model_unavailable:timeout") from None
        except openai.APIConnectionError:
            raise NarrativeUnavailable("model_unavailable:connection") from None
        except openai.APIStatusError as failed:
            raise NarrativeUnavailable(f"model_unavailable:http_{failed.status_code}") from None
        except openai.APIError:
            raise NarrativeUnavailable("model_unavailable:bad_response") from None
        if not response.choices:
            raise NarrativeUnavailable("model_unavailable:no_choice")
        choice = response.choices[0]
        if choice.finish_reason != "stop" or not (choice.message.content or "").strip():
            raise NarrativeUnavailable(f"model_unavailable:{choice.finish_reason or 'empty'}")
        return Draft(choice.message.content or "", response.model or self.model)


def narrative_provider(settings: NarrativeSettings) -> OpenAINarrative | None:
    """The configured model, or None for the template narrative (the SDK takes a second to import: only then)."""
    timeout, retries = settings.LEAF_NARRATIVE_TIMEOUT_SECONDS, settings.LEAF_NARRATIVE_MAX_RETRIES
    if settings.LEAF_AZURE_OPENAI_ENDPOINT and settings.LEAF_AZURE_OPENAI_DEPLOYMENT:
        import openai

        key = settings.LEAF_AZURE_OPENAI_API_KEY
        azure = openai.AzureOpenAI(azure_endpoint=settings.LEAF_AZURE_OPENAI_ENDPOINT,
                                   api_version=settings.LEAF_AZURE_OPENAI_API_VERSION,
                                   api_key=None if key is None else key.get_secret_value(),
                                   azure_ad_token_provider=_managed_identity() if key is None else None,
                                   timeout=timeout, max_retries=retries)
        return OpenAINarrative(azure, settings.LEAF_AZURE_OPENAI_DEPLOYMENT)
    if settings.LEAF_OPENAI_MODEL and settings.LEAF_OPENAI_API_KEY:
        import openai

        client = openai.OpenAI(base_url=settings.LEAF_OPENAI_BASE_URL, api_key=settings.LEAF_OPENAI_API_KEY.get_secret_value(),
                               timeout=timeout, max_retries=retries)
        return OpenAINarrative(client, settings.LEAF_OPENAI_MODEL)
    return None


def _managed_identity() -> Callable[[], str]:
    """Entra ID tokens for Azure OpenAI from the workload's identity (azure-identity, only on this lane)."""
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    return get_bearer_token_provider(DefaultAzureCredential(), AZURE_SCOPE)
