/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: MSI-X (pci_msix.c) and INTx (pci_intx.c) of the PCI functions,
 * between themselves and for pci.c.
 */
#ifndef HVX_RUN_PCI_MSIX_H
#define HVX_RUN_PCI_MSIX_H

#include <stdbool.h>
#include <stdint.h>

struct pci_dev;

void pci_msix_update_all(struct pci_dev *d);
bool pci_msix_enabled(const struct pci_dev *d);
void pci_intx_update(struct pci_dev *d);
void pci_intx_assert(struct pci_dev *d, bool asserted);
bool pci_msix_read(struct pci_dev *d, unsigned int bar, uint64_t off,
		   void *data, unsigned int len);
bool pci_msix_write(struct pci_dev *d, unsigned int bar, uint64_t off,
		    const void *data, unsigned int len);
void pci_msix_destroy(struct pci_dev *d);

#endif /* HVX_RUN_PCI_MSIX_H */
