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
})();
