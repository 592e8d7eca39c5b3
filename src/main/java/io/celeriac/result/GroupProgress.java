package io.celeriac.result;

import java.util.List;
import java.util.Optional;

/** How far a group has got: its members that succeeded, and those that ended otherwise (FAILURE, REVOKED). */
public record GroupProgress(int size, int succeeded, int failed) {

    /** From the members' records, in any order; an empty one is a member not ready yet. */
    public static GroupProgress of(List<Optional<TaskResult>> members) {
        int succeeded = 0;
        int failed = 0;
        for (Optional<TaskResult> member : members) {
            if (member.map(TaskResult::successful).orElse(false)) {
                succeeded++;
            } else if (member.map(TaskResult::ready).orElse(false)) {
                failed++;
            }
        }
        return new GroupProgress(members.size(), succeeded, failed);
    }

    /** Every member is ready, whatever its outcome. */
    public boolean ready() {
        return succeeded + failed == size;
    }
}
