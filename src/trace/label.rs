//! Labels as traces show them: `b` (the object first bound to `b`), `b#2` (the second object
//! bound to `b`), `<dict>` (an unlabelled object of a type), and in summarised traces
//! `b ×3` (three labels named `b`).

/// The name part of a label: `a#12` → `a`.
pub fn base(label: &str) -> &str {
    label.split('#').next().unwrap_or(label)
}

/// Count labels per name part, in order of first appearance: `[a, b, a#2, c]` →
/// `[a ×2, b, c]` (a name seen once keeps its label).
pub fn group_labels(labels: &[String]) -> Vec<String> {
    let mut order: Vec<(&str, usize, &String)> = Vec::new();
    for l in labels {
        let b = base(l);
        match order.iter_mut().find(|e| e.0 == b) {
            Some(e) => e.1 += 1,
            None => order.push((b, 1, l)),
        }
    }
    order
        .into_iter()
        .map(|(b, n, first)| {
            if n == 1 {
                first.clone()
            } else {
                format!("{b} ×{n}")
            }
        })
        .collect()
}

/// How many labels named `name` a (possibly summarised: `a ×3`) list holds.
pub fn count_named(list: &[String], name: &str) -> usize {
    list.iter()
        .map(|e| match e.split_once(" ×") {
            Some((l, n)) if l == name => n.parse().unwrap_or(0),
            Some(_) => 0,
            None => usize::from(base(e) == name),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_group_and_count_by_name() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(base("a#12"), "a");
        assert_eq!(base("<dict>"), "<dict>");
        assert_eq!(
            group_labels(&l(&["a", "b", "a#2", "c"])),
            l(&["a ×2", "b", "c"])
        );
        assert_eq!(count_named(&l(&["a ×3", "b", "a#4"]), "a"), 4);
        assert_eq!(count_named(&l(&["ab", "b ×2"]), "a"), 0);
    }
}
