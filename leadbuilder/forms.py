"""The build form: strategies, geography, every Filter Reference key, the row count and the
propensity post-filters, turned into a `BuildSpec` (and back, to prefill it).

Field names are an interface (the AI panel and the execute view read them): `strategies`,
`geo_mode`, `geo_zip_codes`, `geo_cities`, `geo_counties`, `geo_states`, `geo_latitude`,
`geo_longitude`, `geo_radius`, `f_<filter key>`, `requested_count`, `name`,
`pf_<vertical>_min`, `pf_<vertical>_category` and the hidden `conversation`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms

from leadbuilder import filter_reference as ref
from leadbuilder.spec import CATEGORIES, GEOGRAPHY_MODES, MAX_REQUESTED, VERTICALS, BuildSpec
from leadops.imports.normalize import normalize_state

GEOGRAPHY_LABELS = {
    "zips": "ZIP codes",
    "city": "City",
    "counties": "Counties",
    "states": "States",
    "radius": "Radius",
}
GEO_FIELDS = {
    "zips": ("geo_zip_codes",),
    "city": ("geo_cities", "geo_states"),
    "counties": ("geo_counties", "geo_states"),
    "states": ("geo_states",),
    "radius": ("geo_latitude", "geo_longitude", "geo_radius"),
}
TRI_STATE = (("", "Any"), ("true", "Yes"), ("false", "No"))
_SPLIT = re.compile(r"[\s,;]+")
POST_FILTER_HELP = (
    "Propensity scores are not sent to Tracerfy: they filter the rows LeadOps stores "
    "(the build's rows page opens with them applied)."
)


def split_list(text: str, *, spaces: bool = False) -> list[str]:
    """Comma (and newline) separated items; `spaces` also splits on spaces (ZIP codes)."""
    pattern = _SPLIT if spaces else re.compile(r"[,;\n]+")
    return [item.strip() for item in pattern.split(text or "") if item.strip()]


def _states(text: str) -> tuple[list[str], list[str]]:
    """(codes, problems) of a comma-separated list of states (codes or names)."""
    codes, problems = [], []
    for item in split_list(text):
        cleaned = normalize_state(item)
        if cleaned.error:
            problems.append(cleaned.error)
        elif cleaned.value not in codes:
            codes.append(cleaned.value)
    return codes, problems


def _filter_field(item: ref.FilterKey) -> forms.Field:
    common: dict[str, Any] = {"required": False, "label": item.label, "help_text": item.help}
    numbers: dict[str, Any] = {}
    if item.minimum is not None:
        numbers["min_value"] = item.minimum
    if item.maximum is not None:
        numbers["max_value"] = item.maximum
    attrs = {"class": "form-control form-control-sm"}
    if item.kind == ref.BOOL:
        return forms.ChoiceField(choices=TRI_STATE, widget=forms.RadioSelect, **common)
    if item.kind in (ref.INT, ref.MONEY):
        step = "1000" if item.kind == ref.MONEY else "1"
        return forms.IntegerField(
            widget=forms.NumberInput(attrs={**attrs, "step": step}), **numbers, **common
        )
    if item.kind == ref.FLOAT:
        step = "0.5" if item.key.startswith("baths") else "any"
        return forms.FloatField(
            widget=forms.NumberInput(attrs={**attrs, "step": step}), **numbers, **common
        )
    if item.kind == ref.DATE:
        return forms.DateField(
            input_formats=["%Y-%m-%d"],
            widget=forms.DateInput(attrs={**attrs, "type": "date"}, format="%Y-%m-%d"),
            error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
            **common,
        )
    if item.kind == ref.ENUM:
        return forms.ChoiceField(
            choices=(("", "Any"), *item.choices),
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            **common,
        )
    if item.kind == ref.CHOICES:
        return forms.MultipleChoiceField(
            choices=item.choices,
            widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            **common,
        )
    return forms.CharField(max_length=100, widget=forms.TextInput(attrs=attrs), **common)


@dataclass(frozen=True)
class FilterItem:
    """One line of a filter section: a single key, or a range (`low` and `high`)."""

    label: str
    kind: str
    unit: str
    field: Any = None
    low: Any = None
    high: Any = None
    help: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.html_name for f in (self.field, self.low, self.high) if f is not None)


@dataclass(frozen=True)
class FilterSection:
    slug: str
    label: str
    items: list[FilterItem]
    set_count: int
    has_errors: bool

    @property
    def open(self) -> bool:
        return bool(self.set_count or self.has_errors)


class BuildForm(forms.Form):
    strategies = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Several strategies are combined with OR. None chosen: custom (only your "
        "filters below).",
    )
    geo_mode = forms.ChoiceField(
        choices=[(mode, GEOGRAPHY_LABELS[mode]) for mode in GEOGRAPHY_MODES],
        widget=forms.RadioSelect,
        initial="city",
        label="Area",
    )
    geo_zip_codes = forms.CharField(
        required=False,
        label="ZIP codes",
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text="Five digits each, separated by commas, spaces or new lines.",
    )
    geo_cities = forms.CharField(
        required=False,
        label="Cities",
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "Phoenix, Mesa"}),
        help_text="Comma separated.",
    )
    geo_counties = forms.CharField(
        required=False,
        label="Counties",
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "Maricopa"}),
        help_text="Comma separated.",
    )
    geo_states = forms.CharField(
        required=False,
        label="States",
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "AZ, TX"}),
        help_text="Two-letter codes (or names), comma separated.",
    )
    geo_latitude = forms.FloatField(
        required=False,
        min_value=-90,
        max_value=90,
        label="Latitude",
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}),
    )
    geo_longitude = forms.FloatField(
        required=False,
        min_value=-180,
        max_value=180,
        label="Longitude",
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}),
    )
    geo_radius = forms.FloatField(
        required=False,
        max_value=100,
        label="Miles",
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "any", "min": "0"}),
    )
    requested_count = forms.IntegerField(
        min_value=1,
        max_value=MAX_REQUESTED,
        initial=500,
        label="Rows",
        help_text=f"At most {MAX_REQUESTED:,} rows; you pay only for rows delivered.",
        error_messages={"max_value": f"Ask for at most {MAX_REQUESTED:,} rows."},
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    name = forms.CharField(
        required=False,
        max_length=200,
        label="Name",
        help_text="Optional; by default the strategies and the area.",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    conversation = forms.IntegerField(required=False, widget=forms.HiddenInput)
    post_filter_help = POST_FILTER_HELP

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *args: Any,
        strategies: Iterable[Any] = (),
        initial_spec: BuildSpec | None = None,
        **kwargs: Any,
    ) -> None:
        self.strategy_list = tuple(strategies)
        self.dropped_keys: list[str] = []
        self.initial_spec = initial_spec
        if initial_spec is not None:
            kwargs["initial"] = {
                **self.initial_from_spec(initial_spec),
                **kwargs.get("initial", {}),
            }
        super().__init__(data, *args, **kwargs)
        # "custom" is valid (a spec's blank slate) but never a card: none chosen is custom.
        self.fields["strategies"].choices = [
            *((s.key, s.label) for s in self.strategy_list if s.key != "custom"),
            ("custom", "Custom"),
        ]
        for item in ref.FILTERS.values():
            self.fields[item.field_name] = _filter_field(item)
        for vertical, label in VERTICALS:
            self.fields[f"pf_{vertical}_min"] = forms.IntegerField(
                required=False,
                min_value=0,
                max_value=100,
                label=f"{label} score at least",
                widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
            )
            self.fields[f"pf_{vertical}_category"] = forms.ChoiceField(
                required=False,
                choices=(("", "Any"), *((c, c) for c in CATEGORIES)),
                label=f"{label} category",
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    @classmethod
    def from_spec(
        cls, spec: BuildSpec, *, strategies: Iterable[Any], data: Mapping | None = None
    ) -> BuildForm:
        return cls(data, strategies=strategies, initial_spec=spec)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"

    # -- prefill --------------------------------------------------------------------------

    def initial_from_spec(self, spec: BuildSpec) -> dict[str, Any]:
        """The form's initial values for `spec`; keys the form cannot show (not in the
        Filter Reference) are listed in `dropped_keys`, never sent."""
        initial: dict[str, Any] = {
            "strategies": [s for s in spec.strategies if s != "custom"],
            "requested_count": spec.requested_count,
        }
        geo = spec.geography
        mode = geo.get("mode")
        if mode in GEOGRAPHY_MODES:
            initial["geo_mode"] = mode
            initial["geo_zip_codes"] = ", ".join(geo.get("zip_codes") or [])
            initial["geo_cities"] = ", ".join(geo.get("cities") or [])
            initial["geo_counties"] = ", ".join(geo.get("counties") or [])
            initial["geo_states"] = ", ".join(geo.get("states") or [])
            for name in ("latitude", "longitude", "radius"):
                if geo.get(name) is not None:
                    initial[f"geo_{name}"] = geo[name]
        for key, value in spec.overrides.items():
            item = ref.FILTERS.get(key)
            if item is None:
                self.dropped_keys.append(key)
            elif item.kind == ref.BOOL:
                initial[item.field_name] = "true" if value else "false"
            elif item.kind == ref.CHOICES:
                initial[item.field_name] = (
                    list(value) if isinstance(value, list | tuple) else split_list(str(value))
                )
            else:
                initial[item.field_name] = value
        for key, value in spec.post_filters.items():
            initial[f"pf_{key}"] = value
        return initial

    # -- validation -----------------------------------------------------------------------

    def clean_strategies(self) -> list[str]:
        return [key for key in self.cleaned_data["strategies"] if key != "custom"]

    def clean_geo_zip_codes(self) -> list[str]:
        zips = split_list(self.cleaned_data["geo_zip_codes"], spaces=True)
        bad = [z for z in zips if not re.fullmatch(r"\d{5}", z)]
        if bad:
            raise forms.ValidationError(
                "Not a five-digit ZIP code: %(bad)s.", params={"bad": ", ".join(bad)}
            )
        return list(dict.fromkeys(zips))

    def clean_geo_cities(self) -> list[str]:
        return split_list(self.cleaned_data["geo_cities"])

    def clean_geo_counties(self) -> list[str]:
        return split_list(self.cleaned_data["geo_counties"])

    def clean_geo_states(self) -> list[str]:
        codes, problems = _states(self.cleaned_data["geo_states"])
        if problems:
            raise forms.ValidationError("; ".join(problems) + ".")
        return codes

    def clean_geo_radius(self) -> float | None:
        radius = self.cleaned_data["geo_radius"]
        if radius is not None and radius <= 0:
            raise forms.ValidationError("Miles must be more than 0.")
        return radius

    def clean_f_mail_state(self) -> str:
        value = self.cleaned_data["f_mail_state"].strip()
        if not value:
            return ""
        cleaned = normalize_state(value)
        if cleaned.error:
            raise forms.ValidationError(cleaned.error + ".")
        return cleaned.value

    def clean_f_mail_zip(self) -> str:
        value = self.cleaned_data["f_mail_zip"].strip()
        if value and not re.fullmatch(r"\d{5}", value):
            raise forms.ValidationError("Enter a five-digit ZIP code.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        mode = cleaned.get("geo_mode")
        required = {
            "geo_zip_codes": "Enter at least one ZIP code.",
            "geo_cities": "Enter at least one city.",
            "geo_counties": "Enter at least one county.",
            "geo_states": "Enter at least one state.",
            "geo_latitude": "Enter the latitude (or pick an address).",
            "geo_longitude": "Enter the longitude (or pick an address).",
            "geo_radius": "Enter the radius in miles.",
        }
        for name in GEO_FIELDS.get(mode, ()):
            if name in self.errors:
                continue
            value = cleaned.get(name)
            if value is None or value == []:
                self.add_error(name, required[name])
        for low, high in ref.RANGES.items():
            a, b = cleaned.get(f"f_{low}"), cleaned.get(f"f_{high}")
            if a is not None and b is not None and a > b:
                self.add_error(
                    f"f_{low}",
                    f"The minimum ({ref.FILTERS[low].display(_plain(a))}) is above the maximum "
                    f"({ref.FILTERS[high].display(_plain(b))}).",
                )
        return cleaned

    # -- the spec -------------------------------------------------------------------------

    def build_spec(self) -> BuildSpec:
        """The spec of a valid form (only the filters the user set)."""
        if not self.is_valid():
            raise ValueError("build_spec() needs a valid form")
        return _spec_from_cleaned(self.cleaned_data)

    @property
    def default_name(self) -> str:
        """The build's name when the user gives none: strategies and area."""
        data = getattr(self, "cleaned_data", {})
        labels = dict(self.fields["strategies"].choices)
        chosen = [labels.get(k, k) for k in data.get("strategies") or []] or ["Custom"]
        geo = _geography(data) or {}
        return f"{' + '.join(chosen)} · {geography_words(geo)}"[:200]

    # -- rendering ------------------------------------------------------------------------

    def strategy_cards(self) -> list[dict[str, Any]]:
        chosen = set(self._value("strategies") or [])
        return [
            {
                "strategy": s,
                "checked": s.key in chosen,
                # (label, value in words, the exact key=value Tracerfy applies)
                "defaults": [
                    (*ref.describe(k, v), f"{k}={json.dumps(v)}")
                    for k, v in s.default_filters.items()
                ],
            }
            for s in self.strategy_list
            if s.key != "custom"
        ]

    def _value(self, name: str) -> Any:
        return self[name].value()

    def geo_mode_value(self) -> str:
        return self._value("geo_mode") or "city"

    def filter_sections(self) -> list[FilterSection]:
        sections = []
        for slug, label, items in ref.filters_by_group():
            lines, done = [], set()
            for item in items:
                if item.key in done:
                    continue
                if item.key in ref.RANGES:
                    high = ref.RANGES[item.key]
                    done.add(high)
                    lines.append(
                        FilterItem(
                            label=item.label.removesuffix(" (min)"),
                            kind=item.kind,
                            unit=item.unit,
                            low=self[item.field_name],
                            high=self[f"f_{high}"],
                            help=item.help,
                        )
                    )
                else:
                    lines.append(
                        FilterItem(
                            label=item.label,
                            kind=item.kind,
                            unit=item.unit,
                            field=self[item.field_name],
                            help=item.help,
                        )
                    )
            names = [f"f_{item.key}" for item in items]
            set_count = sum(1 for name in names if _is_set(self[name].value()))
            has_errors = self.is_bound and any(name in self.errors for name in names)
            sections.append(FilterSection(slug, label, lines, set_count, has_errors))
        return sections

    def post_filter_rows(self) -> list[tuple[str, Any, Any]]:
        return [
            (label, self[f"pf_{vertical}_min"], self[f"pf_{vertical}_category"])
            for vertical, label in VERTICALS
        ]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _is_set(value: Any) -> bool:
    return value not in (None, "", [], ())


def _geography(cleaned: Mapping[str, Any]) -> dict[str, Any] | None:
    """The geography of (possibly partial) cleaned data; None when its mode's fields did not
    all validate."""
    mode = cleaned.get("geo_mode")
    names = GEO_FIELDS.get(mode)
    if not names:
        return None
    values = {name: cleaned.get(name) for name in names}
    if any(v is None or v == [] for v in values.values()):
        return None
    geo: dict[str, Any] = {"mode": mode}
    if mode == "zips":
        geo["zip_codes"] = values["geo_zip_codes"]
    if mode == "city":
        geo["cities"] = values["geo_cities"]
    if mode == "counties":
        geo["counties"] = values["geo_counties"]
    if mode in ("city", "counties", "states"):
        geo["states"] = values["geo_states"]
    if mode == "radius":
        geo.update(
            latitude=values["geo_latitude"],
            longitude=values["geo_longitude"],
            radius=values["geo_radius"],
        )
    return geo


def _override_value(item: ref.FilterKey, value: Any) -> Any:
    if item.kind == ref.BOOL:
        return value == "true"
    if item.kind == ref.DATE:
        return value.isoformat()
    if item.kind == ref.CHOICES:
        return list(value)
    return value


def _spec_from_cleaned(cleaned: Mapping[str, Any]) -> BuildSpec:
    overrides = {}
    for item in ref.FILTERS.values():
        value = cleaned.get(item.field_name)
        if _is_set(value):
            overrides[item.key] = _override_value(item, value)
    post_filters: dict[str, Any] = {}
    for vertical, _label in VERTICALS:
        for suffix in ("min", "category"):
            value = cleaned.get(f"pf_{vertical}_{suffix}")
            if _is_set(value):
                post_filters[f"{vertical}_{suffix}"] = value
    count = cleaned.get("requested_count")
    return BuildSpec(
        strategies=tuple(cleaned.get("strategies") or ()) or ("custom",),
        geography=_geography(cleaned) or {},
        overrides=overrides,
        requested_count=count if count is not None else 500,
        post_filters=post_filters,
    )


def spec_from_data(data: Mapping[str, Any], *, strategies: Iterable[Any]) -> BuildSpec:
    """The spec (possibly invalid, partial) form data describes, leaving out every field that
    does not validate: what the AI panel diffs its proposal against."""
    form = BuildForm(data, strategies=strategies)
    form.is_valid()
    return _spec_from_cleaned(form.cleaned_data)


def geography_words(geo: Mapping[str, Any]) -> str:
    """A geography in words: "Phoenix, Mesa (AZ)", "ZIP 85001, 85004", "5 mi around …"."""
    mode = geo.get("mode")
    states = ", ".join(geo.get("states") or [])
    if mode == "zips":
        return "ZIP " + ", ".join(geo.get("zip_codes") or [])
    if mode == "city":
        return f"{', '.join(geo.get('cities') or [])} ({states})"
    if mode == "counties":
        return f"{', '.join(geo.get('counties') or [])} County ({states})"
    if mode == "states":
        return states
    if mode == "radius":
        return (
            f"{_plain(geo.get('radius'))} mi around "
            f"{geo.get('latitude'):.4f}, {geo.get('longitude'):.4f}"
        )
    return "no area"


class SavedSearchNameForm(forms.Form):
    # No `required` attribute: the name sits inside the build form, and the browser (and
    # htmx, for the AI panel and the merged panel that include the build form) would refuse
    # every other use of that form while the name is empty. The server requires it on save.
    use_required_attribute = False

    search_name = forms.CharField(
        max_length=120,
        label="Save as",
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "Search name"}),
    )


class RenameForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"class": "form-control"}))
