// The lead builder's build screen (leadbuilder/templates/leadbuilder/new.html). No inline
// script is allowed (CSP), so the page's behaviour is bound here from data attributes.
(function () {
  // Show the fields of the chosen kind of area (<input data-geo-mode> radios; the field
  // blocks say which modes they belong to with data-geo-modes="city counties").
  function showGeoMode(mode) {
    document.querySelectorAll("[data-geo-modes]").forEach(function (block) {
      const modes = block.getAttribute("data-geo-modes").split(" ");
      block.classList.toggle("d-none", modes.indexOf(mode) === -1);
    });
  }
  document.addEventListener("change", function (event) {
    const radio = event.target.closest("[data-geo-mode]");
    if (radio && radio.checked) showGeoMode(radio.value);
    const card = event.target.closest(".strategy-card");
    if (card && event.target.type === "checkbox") {
      card.classList.toggle("border-primary", event.target.checked);
    }
  });

  // An address suggestion (<button data-lat data-lon data-label> in #geo-address-results,
  // from leadbuilder:autocomplete) fills the radius centre.
  function setValue(id, value) {
    const field = document.getElementById(id);
    if (!field) return;
    field.value = value;
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }
  document.addEventListener("click", function (event) {
    const pick = event.target.closest("#geo-address-results [data-lat]");
    if (!pick) return;
    event.preventDefault();
    const radius = document.getElementById("geo-mode-radius");
    if (radius && !radius.checked) {
      radius.checked = true;
      showGeoMode("radius");
    }
    setValue("id_geo_latitude", pick.getAttribute("data-lat"));
    setValue("id_geo_longitude", pick.getAttribute("data-lon"));
    const address = document.getElementById("geo-address");
    if (address) address.value = pick.getAttribute("data-label") || address.value;
    const results = document.getElementById("geo-address-results");
    if (results) results.innerHTML = "";
    const miles = document.getElementById("id_geo_radius");
    if (miles && !miles.value) miles.focus();
  });

  // A preview answers for the form as it was: once anything that is sent changes, the build
  // button waits for a new preview (the saved-search name changes nothing that is sent).
  function formChanged(event) {
    const form = event.target.form;
    if (!form || form.id !== "build-form" || event.target.name === "search_name") return;
    const execute = form.querySelector("[data-testid=execute-button]");
    if (!execute || execute.disabled) return;
    execute.disabled = true;
    const note = document.getElementById("preview-stale");
    if (note) note.classList.remove("d-none");
  }
  document.addEventListener("change", formChanged);
  document.addEventListener("input", formChanged);

  // Enter in the address box picks nothing and must not submit the build form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.id === "geo-address") event.preventDefault();
  });
})();
