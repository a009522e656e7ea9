// Behaviour every page may use, bound from data attributes: the Content-Security-Policy allows
// no inline script and no onclick="" handlers (settings.CONTENT_SECURITY_POLICY).
(function () {
  // <input ...><button data-copy-previous>Copy</button>: copy the input's value.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy-previous]");
    if (!button) return;
    const field = button.previousElementSibling;
    if (!field || !navigator.clipboard) return;
    navigator.clipboard.writeText(field.value).then(function () {
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    });
  });

  // <input type="checkbox" data-export-clean> beside export links (<a data-export-link>): while
  // it is checked the links ask for clean, fresh phones only (?phones=clean).
  document.addEventListener("change", function (event) {
    const toggle = event.target.closest("[data-export-clean]");
    if (!toggle) return;
    document.querySelectorAll("[data-export-link]").forEach(function (link) {
      const url = new URL(link.href, window.location.href);
      if (toggle.checked) url.searchParams.set("phones", "clean");
      else url.searchParams.delete("phones");
      link.href = url.pathname + url.search;
    });
  });
})();
