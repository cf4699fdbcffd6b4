// Progressive enhancement only: every page works without this file.
import * as govuk from "/static/govuk/govuk-frontend.min.js";

// The GOV.UK Frontend components the pages use, each started on every element marked for it.
const COMPONENTS = [
  "Accordion",
  "Button",
  "CharacterCount",
  "Checkboxes",
  "ErrorSummary",
  "NotificationBanner",
  "PasswordInput",
  "ServiceNavigation",
  "SkipLink",
  "Tabs",
];

document.body.classList.add("js-enabled", "govuk-frontend-supported");
for (const name of COMPONENTS) {
  govuk.createAll(govuk[name]);
}

// Radios that reveal a further question. GOV.UK Frontend's own Radios script marks each such
// radio with aria-expanded, which ARIA does not allow on a radio (axe: aria-allowed-attr), so
// the reveal is done here: the question shows while its radio is chosen and is announced by
// the radio's aria-controls, as the Design System's pattern intends.
function revealChosen(radios) {
  for (const radio of radios.querySelectorAll('input[type="radio"][data-aria-controls]')) {
    const question = document.getElementById(radio.dataset.ariaControls);
    if (!question) continue;
    radio.setAttribute("aria-controls", question.id);
    question.classList.toggle("govuk-radios__conditional--hidden", !radio.checked);
  }
}

for (const radios of document.querySelectorAll('[data-module="govuk-radios"]')) {
  revealChosen(radios);
  radios.addEventListener("change", () => revealChosen(radios));
}
