// Address autocomplete (leadbuilder:autocomplete), bound from data attributes: the
// Content-Security-Policy allows no inline script.
//
// <div data-address-autocomplete data-min-chars="3">
//   <input hx-get=".../autocomplete/" hx-target="#address-suggestions" ...>
//   <div id="address-suggestions"></div>
// </div>
// Inside the same <form>, inputs with data-fill="street|city|state|zip|lat|lon|label" take
// the parts of the suggestion the user picks.
(function () {
  function boxOf(element) {
    return element && element.closest("[data-address-autocomplete]");
  }

  function suggestionsOf(box) {
    const input = box.querySelector("[hx-get]");
    const target = input && input.getAttribute("hx-target");
    return target ? document.querySelector(target) : null;
  }

  function clear(box) {
    const list = suggestionsOf(box);
    if (list) list.innerHTML = "";
  }

  // Too short to search: no request at all (the server would answer with nothing too).
  document.addEventListener("htmx:beforeRequest", function (event) {
    const box = boxOf(event.detail.elt);
    if (!box) return;
    const min = parseInt(box.dataset.minChars || "3", 10);
    if (event.detail.elt.value.trim().length < min) {
      event.preventDefault();
      clear(box);
    }
  });

  function pick(button) {
    const box = boxOf(button);
    const form = button.closest("form") || document;
    form.querySelectorAll("[data-fill]").forEach(function (field) {
      const value = button.dataset[field.dataset.fill];
      if (value === undefined) return;
      field.value = value;
      field.classList.remove("is-invalid");
      field.dispatchEvent(new Event("change", { bubbles: true }));
    });
    const input = box && box.querySelector("[hx-get]");
    if (input) input.value = button.dataset.label || input.value;
    if (box) clear(box);
    const submit = form.querySelector("[type=submit]");
    if (submit) submit.focus();
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-address-autocomplete] [data-label]");
    if (button) pick(button);
  });

  document.addEventListener("keydown", function (event) {
    const box = boxOf(event.target);
    if (!box) return;
    const options = Array.from(box.querySelectorAll("[data-label]"));
    if (event.key === "Enter" && event.target.matches("[hx-get]")) {
      // Enter in the search box picks the best match; it never submits the paid lookup.
      event.preventDefault();
      if (options.length) pick(options[0]);
    } else if (event.key === "ArrowDown" && options.length) {
      event.preventDefault();
      const at = options.indexOf(document.activeElement);
      options[Math.min(at + 1, options.length - 1)].focus();
    } else if (event.key === "ArrowUp" && options.length) {
      event.preventDefault();
      const at = options.indexOf(document.activeElement);
      if (at <= 0) box.querySelector("[hx-get]").focus();
      else options[at - 1].focus();
    } else if (event.key === "Escape") {
      clear(box);
    }
  });
})();
