// Runner: executes scenarios on a card channel, measures each step against its budget, and guards real cards
// against destructive steps. It knows channels and scenarios, not how results are rendered.
import Scenario
import Transport
