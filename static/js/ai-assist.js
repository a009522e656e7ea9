// The AI-assist panel of the build screen (leadbuilder/partials/ai_panel.html). The panel is
// swapped whole by htmx and loads this file each time, so it binds once, on the document.
(function () {
  if (window.leadopsAiAssist) return;
  window.leadopsAiAssist = true;

  // <button data-ai-example="...">: an example prompt, copied into the prompt box.
  document.addEventListener("click", function (event) {
    const example = event.target.closest("[data-ai-example]");
    if (!example) return;
    const box = document.querySelector("#ai-panel [data-ai-prompt]");
    if (!box) return;
    box.value = example.getAttribute("data-ai-example");
    box.focus();
  });

  // Ctrl+Enter (Cmd+Enter) in the prompt box asks.
  document.addEventListener("keydown", function (event) {
    const box = event.target.closest("#ai-panel [data-ai-prompt]");
    if (!box || event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    if (box.form) box.form.requestSubmit();
  });

  // After an answer, the chat shows its latest turn.
  document.addEventListener("htmx:afterSettle", function () {
    const turns = document.querySelector("#ai-panel [data-ai-turns]");
    if (turns) turns.scrollTop = turns.scrollHeight;
  });
})();
