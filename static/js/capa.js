// capa's only script of its own, loaded as a module at the end of <body>.
//
// NHS.UK frontend normally marks the body with an inline script at the top of <body>; capa's
// Content-Security-Policy allows no inline script, so the classes are set here, before initAll().
// (Only browsers that run module scripts get here, which is what nhsuk-frontend-supported means.)
import {
  Button,
  CharacterCount,
  Checkboxes,
  createAll,
  ErrorSummary,
  initAll,
  isInitialised,
  NotificationBanner,
  Radios,
  Table,
  Tabs,
} from "../vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// Content that htmx swaps in (search results, booking conflicts, progress) gets the same
// behaviour: the components in the new content only, so nothing is initialised twice.
const swappable = [Button, CharacterCount, Checkboxes, ErrorSummary, NotificationBanner, Radios, Table, Tabs];

document.addEventListener("htmx:load", (event) => {
  const root = event.target;
  if (!(root instanceof HTMLElement) || root === document.body) {
    return;
  }
  for (const Component of swappable) {
    if (root.matches(`[data-module="${Component.moduleName}"]`) && !isInitialised(root, Component.moduleName)) {
      try {
        new Component(root);
      } catch (error) {
        console.log(error);
      }
    }
    createAll(Component, undefined, root);
  }
});
