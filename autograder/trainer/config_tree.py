"""A serialised Keras configuration read as data, with no Keras imported: the
objects it names, the classes that are not Keras' own, and the longest list
of numbers it carries (weights handed over). The trainer refuses on these;
the grader's model inspection reports them.

Example:

    >>> foreign_classes({"class_name": "Dense", "module": "my_layers", "config": {}})
    ['Dense']
    >>> longest_number_list({"config": {"value": [[1, 2], [3, 4]]}})
    4
"""


def config_nodes(tree):
    """Every serialised Keras object ({class_name, config, ...}) in a config
    tree, nested ones included; iterative, so no depth can overflow the stack."""
    stack, found = [tree], []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("class_name"), str) and "config" in node:
                found.append(node)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def foreign_classes(tree):
    """Class names in a config tree that are not Keras' own (custom layers,
    metrics, losses: code the grader will not run), in order, each once."""
    foreign = []
    for node in config_nodes(tree):
        module = node.get("module")
        registered = node.get("registered_name")
        own = (module is None or str(module).startswith("keras")) and \
            (registered is None or registered == node["class_name"])
        name = f"{node['config']}()" if node["class_name"] == "function" and isinstance(node["config"], str) \
            else node["class_name"]
        if not own and name not in foreign:
            foreign.append(name)
    return foreign


def longest_number_list(config):
    """The most numbers held in one list of a config tree, its nested lists included."""
    stack, longest = [config], 0
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            numbers, inner = 0, [node]
            while inner:
                for item in inner.pop():
                    if isinstance(item, list):
                        inner.append(item)
                    elif isinstance(item, (int, float)):
                        numbers += 1
                    else:
                        stack.append(item)
            longest = max(longest, numbers)
    return longest
