package io.celeriac.schedule;

/** What beat does with ticks that misfired because no beat instance ran at the time. */
public enum Missed {
    /** Drop them and go on with the next tick. */
    SKIP,
    /** Send one run for all of them, then go on with the next tick. */
    CATCH_UP
}
