// Reports: renders the Runner's results as JUnit XML, JSON, console progress and summary, and HTML.
// It reads results only; it never talks to a card.
import Runner
