from django import forms

from .models import Selection
from .services import MAX_TAG_LENGTH, MAX_TAGS

RECORDS = [
    (Selection.ALL.value, "Every record"),
    (Selection.FILTERED.value, "The current filtered selection"),
]


class PushForm(forms.Form):
    """The push screen: which records, clean phones only, the source page's filters (as it
    linked them) and the form's one-time token (POST only)."""

    records = forms.ChoiceField(
        choices=RECORDS, initial=Selection.ALL, widget=forms.RadioSelect, required=False
    )
    clean_only = forms.BooleanField(
        required=False, label="Only clean, fresh phones (records without one are not sent)"
    )
    filters = forms.CharField(required=False, max_length=4000, widget=forms.HiddenInput)
    submit_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, has_filters: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_filters = has_filters

    def record_choices(self) -> list[tuple[str, str]]:
        """The choices the screen offers: the filtered selection only when it has filters."""
        return RECORDS if self.has_filters else RECORDS[:1]

    def clean_records(self) -> str:
        value = self.cleaned_data.get("records") or Selection.ALL
        if value == Selection.FILTERED and not self.has_filters:
            raise forms.ValidationError(
                "There is no filtered selection: this screen was not opened with filters. "
                "Send every record, or filter the source's page and use its Send to CRM button."
            )
        return value


class CrmSettingsForm(forms.Form):
    default_tags = forms.CharField(
        required=False,
        max_length=MAX_TAGS * (MAX_TAG_LENGTH + 2),
        label="Default tags",
        help_text=f"Comma separated; every contact your team pushes carries them "
        f"(at most {MAX_TAGS} tags of {MAX_TAG_LENGTH} characters).",
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": "e.g. absentee, spring-campaign"}
        ),
    )
    send_blocked_phones = forms.BooleanField(
        required=False,
        label="Send phones that are on a DNC list",
        help_text="Off (the default): phones on a DNC list or your internal do-not-call list "
        "are left out of the contacts. On: they are sent, marked with their DNC status.",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean_default_tags(self) -> list[str]:
        tags = [tag.strip() for tag in self.cleaned_data["default_tags"].split(",")]
        tags = [tag for tag in tags if tag]
        if len(tags) > MAX_TAGS:
            raise forms.ValidationError(f"At most {MAX_TAGS} tags, please ({len(tags)} given).")
        long = [tag for tag in tags if len(tag) > MAX_TAG_LENGTH]
        if long:
            raise forms.ValidationError(
                f"A tag may hold {MAX_TAG_LENGTH} characters; “{long[0][:20]}…” is longer."
            )
        return tags
