"""Forms of the import flow: they check input shapes; the services decide what is allowed."""

from django import forms

from leadops.imports import registry
from leadops.imports.columns import EXTRA, FIELDS, FieldGroup
from leadops.imports.models import MappingPreset

_GROUP_LABELS = {
    FieldGroup.PROPERTY: "Property",
    FieldGroup.OWNER: "Owner",
    FieldGroup.MAILING: "Mailing address",
    FieldGroup.PHONE: "Phones",
    FieldGroup.EMAIL: "Emails",
}


def field_choices() -> list:
    """Every LeadOps field, grouped for the dropdown; "keep as extra" first."""
    groups: dict[FieldGroup, list[tuple[str, str]]] = {group: [] for group in _GROUP_LABELS}
    for spec in FIELDS:
        if spec.group in groups:
            groups[spec.group].append((spec.id, spec.label))
    return [
        (EXTRA, "— Keep as extra column —"),
        *[(_GROUP_LABELS[group], choices) for group, choices in groups.items()],
    ]


class JobTypeSelect(forms.RadioSelect):
    """Radio buttons that carry a one-line explanation of what each job needs."""

    option_template_name = "imports/widgets/job_type_option.html"

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["help"] = registry.kind(value).help_text if registry.is_kind(value) else ""
        return option


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text="CSV (any delimiter, UTF-8 or Windows-1252) or Excel .xlsx.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx"}),
    )
    job_type = forms.ChoiceField(
        label="What is this list for?", choices=registry.kind_choices, widget=JobTypeSelect
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        default = registry.default_kind()
        if default is not None:
            self.fields["job_type"].initial = default.key


class SheetForm(forms.Form):
    sheet = forms.ChoiceField(label="Sheet")

    def __init__(self, *args, sheet_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [(name, name) for name in sheet_names]


class MappingForm(forms.Form):
    """One dropdown per source column (``col_0``, ``col_1``…: headers can be any text)."""

    job_type = forms.ChoiceField(label="Job type", choices=registry.kind_choices)
    save_preset_as = forms.CharField(
        label="Save this mapping as a preset",
        required=False,
        max_length=100,
        help_text="Files with the same columns will be mapped this way automatically.",
        widget=forms.TextInput(attrs={"placeholder": "e.g. PropStream export"}),
    )

    def __init__(self, *args, headers: list[str], mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = field_choices()
        for index, header in enumerate(headers):
            self.fields[self.column_field_name(index)] = forms.ChoiceField(
                label=header,
                choices=choices,
                initial=mapping.get(header, EXTRA),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    @staticmethod
    def column_field_name(index: int) -> str:
        return f"col_{index}"

    def column_fields(self) -> list[forms.BoundField]:
        return [self[self.column_field_name(index)] for index in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        """The chosen mapping, header → field id (valid form only)."""
        return {
            header: self.cleaned_data[self.column_field_name(index)]
            for index, header in enumerate(self.headers)
        }


class PresetRenameForm(forms.Form):
    name = forms.CharField(
        max_length=MappingPreset._meta.get_field("name").max_length,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
